// Transfers and storage-dtype conversions on the GPU: exact against the host codecs.
#include <cmath>
#include <cstring>
#include <limits>

#include "backend/cuda/convert_kernels.h"
#include "backend/cuda/cuda_context.h"
#include "backend/cuda/device_tensors.h"
#include "gpu_check.h"
#include "op_support.h"
#include "tensor/bnb4.h"
#include "tensor/convert.h"
#include "test_support.h"

namespace fluxgen::gpu_test {
namespace {

const std::vector<DType> kStorageDtypes = {DType::F32,     DType::F16,     DType::BF16, DType::F8_E4M3,
                                           DType::F8_E5M2, DType::NF4,     DType::FP4};

std::string name_of(DType t) { return std::string(dtype_name(t)); }

GPU_TEST(upload_download_round_trip) {
  const Tensor x = random({3, 1001}, 1, 3.0f);
  use(modes()[0]);
  CHECK_TRUE(test::max_abs_diff(gpu().download(gpu().upload(x)), x) == 0.0);
  CHECK_TRUE(gpu().upload(x).dtype() == DType::F32);
  use(modes()[1]);
  const Tensor up = gpu().upload(x);
  CHECK_TRUE(up.dtype() == DType::BF16 && up.device() == Device::CUDA);
  CHECK_TRUE(test::max_abs_diff(gpu().download(up), to_f32(convert(x, DType::BF16))) == 0.0);
  Tensor ids = Tensor::empty({5}, DType::I64);
  for (int i = 0; i < 5; ++i) ids.data<int64_t>()[i] = (int64_t(1) << 40) + i;
  const Tensor ids_dev = gpu().upload(ids);
  CHECK_TRUE(ids_dev.dtype() == DType::I64);
  CHECK_TRUE(cuda::host_copy(ids_dev).data<int64_t>()[4] == (int64_t(1) << 40) + 4);
}

GPU_TEST(dequantize_every_storage_dtype_exactly) {
  for (const int64_t n : {int64_t(64 * 48), int64_t(1001)}) {
    const Tensor x = random({n}, 2, 2.0f);
    for (DType dt : kStorageDtypes) {
      const Tensor w = convert(x, dt, Overflow::Saturate);
      const Tensor exact = to_f32(w);
      use(modes()[0]);
      const Tensor resident = gpu().upload_weight(w);
      CHECK_TRUE(resident.dtype() == dt && resident.device() == Device::CUDA);
      record(test::max_abs_diff(gpu().download(resident), exact) == 0.0, "download(upload_weight) " + name_of(dt));
      record(test::max_abs_diff(gpu().download(gpu().dequantize(resident)), exact) == 0.0,
             "f32 dequantize " + name_of(dt) + " n=" + std::to_string(n));
      use(modes()[1]);
      record(test::max_abs_diff(gpu().download(gpu().dequantize(resident)), to_f32(convert(exact, DType::BF16))) == 0.0,
             "bf16 dequantize " + name_of(dt) + " n=" + std::to_string(n));
    }
  }
  // Block sizes that are not a multiple of 8 take the scalar decoder.
  for (int block : {32, 50}) {
    const Tensor w = convert(random({1000}, 3), DType::NF4, Overflow::Saturate, block);
    use(modes()[0]);
    record(test::max_abs_diff(gpu().download(gpu().dequantize(w)), to_f32(w)) == 0.0,
           "NF4 block " + std::to_string(block));
  }
}

Tensor device_f32(const std::vector<float>& v) {
  use(modes()[0]);
  return gpu().upload(Tensor::from_vector({static_cast<int64_t>(v.size())}, v));
}

GPU_TEST(fp8_encoding_matches_the_host_codec) {
  std::vector<float> v = {0.0f, -0.0f, 448.0f, 449.0f, 464.0f, 500.0f, -1e6f, 1e-9f, 57344.0f, 61440.0f, 1e30f,
                          std::numeric_limits<float>::infinity(), -std::numeric_limits<float>::infinity()};
  const Tensor r = random({5000}, 4, 30.0f);
  for (int64_t i = 0; i < r.numel(); ++i) v.push_back(r.f32()[i]);
  const Tensor r2 = random({2000}, 5, 0.01f);
  for (int64_t i = 0; i < r2.numel(); ++i) v.push_back(r2.f32()[i]);
  const Tensor src = device_f32(v);
  for (DType dt : {DType::F8_E4M3, DType::F8_E5M2}) {
    const Tensor host = cuda::host_copy(cuda::encode_on_device(src, dt));
    int mismatches = 0;
    for (size_t i = 0; i < v.size(); ++i) {
      const uint8_t want = dt == DType::F8_E4M3 ? f32_to_e4m3fn(v[i], Overflow::Saturate) : f32_to_e5m2(v[i], Overflow::Saturate);
      mismatches += host.data<uint8_t>()[i] != want;
    }
    record(mismatches == 0, "saturating " + name_of(dt) + " encoding: " + std::to_string(mismatches) + " of " +
                                std::to_string(v.size()) + " codes differ from the host codec");
  }
}

GPU_TEST(fp8_scaled_encoding_takes_the_tensor_amax) {
  const Tensor x = random({3000}, 6, 7.0f);
  const Tensor src = device_f32(std::vector<float>(x.f32(), x.f32() + x.numel()));
  Tensor stats = cuda::device_empty({2}, DType::F32);
  cudaStream_t s = cuda::Context::get().stream();
  cudaMemsetAsync(stats.raw_data(), 0, sizeof(float), s);
  Tensor q = cuda::device_empty({x.numel()}, DType::F8_E4M3);
  cuda::kernels::abs_max(DType::F32, src.raw_data(), x.numel(), stats.data<float>(), s);
  cuda::kernels::encode_fp8_scaled(DType::F32, src.raw_data(), x.numel(), stats.data<float>(), DType::F8_E4M3,
                                   q.raw_data(), stats.data<float>() + 1, s);
  const Tensor st = cuda::host_copy(stats), codes = cuda::host_copy(q);
  float amax = 0.0f;
  for (int64_t i = 0; i < x.numel(); ++i) amax = std::max(amax, std::fabs(x.f32()[i]));
  CHECK_TRUE(st.data<float>()[0] == amax);
  CHECK_TRUE(st.data<float>()[1] == amax / 448.0f);
  Tensor back = Tensor::empty({x.numel()});
  for (int64_t i = 0; i < x.numel(); ++i) back.f32()[i] = e4m3fn_to_f32(codes.data<uint8_t>()[i]) * st.data<float>()[1];
  check_error("e4m3 with per-tensor scale, relative L2", test::rel_l2(back, x), 0.05);
}

GPU_TEST(bnb4_quantization_matches_the_host_quantizer) {
  Tensor x = random({64 * 200 + 37}, 7);
  for (int i = 64; i < 128; ++i) x.f32()[i] = 0.0f;  // an all-zero block: bnb's code-0 rule
  const Tensor src = device_f32(std::vector<float>(x.f32(), x.f32() + x.numel()));
  for (DType fmt : {DType::NF4, DType::FP4}) {
    for (int block : {64, 50}) {
      const Tensor want = convert(x, fmt, Overflow::Torch, block);
      const Tensor got = cuda::host_copy(cuda::encode_on_device(src, fmt, block));
      const std::string what = name_of(fmt) + " block " + std::to_string(block);
      record(std::memcmp(got.raw_data(), want.raw_data(), want.nbytes()) == 0, what + " codes bit-exact");
      record(std::memcmp(got.absmax().raw_data(), want.absmax().raw_data(), want.absmax().nbytes()) == 0,
             what + " absmax bit-exact");
    }
  }
}

}  // namespace
}  // namespace fluxgen::gpu_test
