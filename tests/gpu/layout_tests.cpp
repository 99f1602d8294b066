// Permute, concat, slice (byte movers: exact, dtype kept) and embedding on the GPU.
#include "gpu_check.h"
#include "op_support.h"
#include "tensor/convert.h"
#include "test_support.h"
#include "util/strings.h"

namespace fluxgen::gpu_test {
namespace {

GPU_TEST(permute_exactly) {
  const std::vector<std::pair<Shape, std::vector<int>>> cases = {
      {{2, 3, 4, 5}, {0, 2, 1, 3}},          // inner run contiguous: widened elements
      {{2, 3, 4, 5}, {3, 2, 1, 0}},          // full reversal
      {{1, 300, 3, 24, 128}, {2, 0, 3, 1, 4}},  // FLUX's qkv split
      {{1, 24, 300, 128}, {0, 2, 1, 3}},     // FLUX's attention output
      {{7, 1, 9}, {2, 1, 0}}};
  for (const auto& [shape, dims] : cases) {
    const Tensor x = random(shape, 600);
    for (const Mode& m : modes()) {
      use(m);
      const Tensor d = gpu().upload(x);
      const Tensor want = cpu().permute(gpu().download(d), dims);  // same rounding as the upload
      record(test::max_abs_diff(gpu().download(gpu().permute(d, dims)), want) == 0.0,
             std::string(m.name) + " permute " + shape_string(shape));
    }
  }
  // A byte dtype moves as bytes.
  Tensor bytes = Tensor::empty({3, 5, 7}, DType::U8);
  for (int64_t i = 0; i < bytes.numel(); ++i) bytes.data<uint8_t>()[i] = static_cast<uint8_t>(i * 7);
  const Tensor moved = gpu().permute(gpu().upload_weight(bytes), {2, 0, 1});
  CHECK_TRUE(moved.dtype() == DType::U8);
  CHECK_TRUE(test::max_abs_diff(gpu().download(moved), cpu().permute(bytes, {2, 0, 1})) == 0.0);
}

GPU_TEST(concat_and_slice_exactly) {
  const Tensor a = random({2, 3, 5}, 610), b = random({2, 4, 5}, 611), c = random({2, 1, 5}, 612);
  for (const Mode& m : modes()) {
    use(m);
    const Tensor ad = gpu().upload(a), bd = gpu().upload(b), cd = gpu().upload(c);
    const Tensor ah = gpu().download(ad), bh = gpu().download(bd), ch = gpu().download(cd);
    const std::string mode = m.name;
    record(test::max_abs_diff(gpu().download(gpu().concat({ad, bd, cd}, 1)), cpu().concat({ah, bh, ch}, 1)) == 0.0,
           mode + " concat dim 1");
    record(test::max_abs_diff(gpu().download(gpu().concat({ad, ad}, 0)), cpu().concat({ah, ah}, 0)) == 0.0,
           mode + " concat dim 0");
    record(test::max_abs_diff(gpu().download(gpu().concat({ad, ad}, -1)), cpu().concat({ah, ah}, -1)) == 0.0,
           mode + " concat dim -1");
    // A host part joins device parts in their dtype.
    record(test::max_abs_diff(gpu().download(gpu().concat({a, bd}, 1)), cpu().concat({ah, bh}, 1)) == 0.0,
           mode + " concat with a host part");
    record(test::max_abs_diff(gpu().download(gpu().slice(bd, 1, 1, 3)), cpu().slice(bh, 1, 1, 3)) == 0.0,
           mode + " slice dim 1");
    record(test::max_abs_diff(gpu().download(gpu().slice(bd, -1, 2, 5)), cpu().slice(bh, -1, 2, 5)) == 0.0,
           mode + " slice last dim");
    record(gpu().slice(bd, 0, 1, 1).numel() == 0, mode + " empty slice");
    CHECK_THROWS(gpu().slice(bd, 1, 2, 9));
    CHECK_THROWS(gpu().concat({ad, gpu().upload(random({3, 3, 5}, 1))}, 1));
  }
}

GPU_TEST(embedding_every_table_dtype) {
  const Tensor table32 = random({50, 96}, 620);
  Tensor ids = Tensor::empty({2, 3}, DType::I64);
  const int64_t v[6] = {0, 49, 7, 7, 13, 21};
  for (int i = 0; i < 6; ++i) ids.data<int64_t>()[i] = v[i];
  const Tensor float_ids = Tensor::from_vector({6}, {0, 49, 7, 7, 13, 21});
  for (DType dt : {DType::F32, DType::BF16, DType::F16, DType::F8_E4M3, DType::NF4}) {
    const Tensor table = convert(table32, dt, Overflow::Saturate);
    const Tensor resident = gpu().upload_weight(table);
    for (const Mode& m : modes()) {
      use(m);
      expect_close("embedding " + std::string(dtype_name(dt)), gpu().embedding(ids, resident), cpu().embedding(ids, table),
                   m.tolerance);
      expect_close("embedding float ids " + std::string(dtype_name(dt)), gpu().embedding(float_ids, resident),
                   cpu().embedding(float_ids, table), m.tolerance);
    }
  }
  Tensor bad = Tensor::empty({1}, DType::I64);
  bad.data<int64_t>()[0] = 50;
  CHECK_THROWS(gpu().embedding(bad, table32));
}

}  // namespace
}  // namespace fluxgen::gpu_test
