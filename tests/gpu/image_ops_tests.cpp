// Convolution, padding, resampling, pixel (un)shuffle and pooling on the GPU against the CPU.
#include "gpu_check.h"
#include "op_support.h"
#include "tensor/convert.h"

namespace fluxgen::gpu_test {
namespace {

struct ConvCase {
  Shape x, w;
  int stride, padding, groups;
  bool bias;
  DType weight_dtype;
};

GPU_TEST(conv2d_shapes_strides_groups) {
  const std::vector<ConvCase> cases = {
      {{2, 8, 17, 13}, {16, 8, 3, 3}, 1, 1, 1, true, DType::F32},   // the autoencoder's 3×3
      {{1, 16, 32, 32}, {8, 16, 1, 1}, 1, 0, 1, true, DType::F32},  // pointwise: straight GEMM
      {{1, 6, 15, 16}, {4, 6, 3, 3}, 2, 0, 1, false, DType::BF16},  // strided, bf16 weights
      {{2, 8, 9, 11}, {12, 4, 3, 3}, 1, 1, 2, true, DType::F16},    // groups
      {{1, 3, 40, 30}, {5, 3, 4, 4}, 2, 1, 1, true, DType::F32}};
  uint64_t seed = 700;
  for (const ConvCase& c : cases) {
    const Tensor x = random(c.x, ++seed), w = convert(random(c.w, ++seed, 0.2f), c.weight_dtype);
    const Tensor b = random({c.w[0]}, ++seed);
    const Tensor* bp = c.bias ? &b : nullptr;
    const Tensor want = cpu().conv2d(x, w, bp, c.stride, c.padding, c.groups);
    for (const Mode& m : modes()) {
      use(m);
      expect_close("conv2d k" + std::to_string(c.w[2]) + " s" + std::to_string(c.stride) + " g" +
                       std::to_string(c.groups) + " " + std::string(dtype_name(c.weight_dtype)),
                   gpu().conv2d(gpu().upload(x), gpu().upload_weight(w), bp, c.stride, c.padding, c.groups), want,
                   m.tolerance);
    }
  }
}

GPU_TEST(padding_resampling_shuffles_pooling) {
  const Tensor x = random({2, 8, 10, 12}, 800);
  for (const Mode& m : modes()) {
    use(m);
    const Tensor d = gpu().upload(x);
    expect_close("pad2d", gpu().pad2d(d, 1, 2, 3, 0, -0.5f), cpu().pad2d(x, 1, 2, 3, 0, -0.5f), m.tolerance);
    expect_close("upsample_nearest x2", gpu().upsample_nearest(d, 2), cpu().upsample_nearest(x, 2), m.tolerance);
    expect_close("upsample_nearest x3", gpu().upsample_nearest(d, 3), cpu().upsample_nearest(x, 3), m.tolerance);
    expect_close("pixel_shuffle 2", gpu().pixel_shuffle(d, 2), cpu().pixel_shuffle(x, 2), m.tolerance);
    expect_close("pixel_unshuffle 2", gpu().pixel_unshuffle(d, 2), cpu().pixel_unshuffle(x, 2), m.tolerance);
    expect_close("max_pool2d 3/2/1", gpu().max_pool2d(d, 3, 2, 1), cpu().max_pool2d(x, 3, 2, 1), m.tolerance);
    expect_close("max_pool2d 5/1/2", gpu().max_pool2d(d, 5, 1, 2), cpu().max_pool2d(x, 5, 1, 2), m.tolerance);
  }
  CHECK_THROWS(gpu().pixel_unshuffle(gpu().upload(random({1, 1, 5, 4}, 1)), 2));
  CHECK_THROWS(gpu().conv2d(gpu().upload(x), random({4, 3, 3, 3}, 2), nullptr, 1, 1, 1));
}

}  // namespace
}  // namespace fluxgen::gpu_test
