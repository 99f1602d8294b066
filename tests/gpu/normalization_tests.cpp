// LayerNorm, RMSNorm, GroupNorm, softmax and FLUX's fused modulation on the GPU against the CPU
// backend (whose modulation is the composition of its plain ops).
#include "gpu_check.h"
#include "op_support.h"
#include "tensor/convert.h"
#include "util/strings.h"

namespace fluxgen::gpu_test {
namespace {

GPU_TEST(layer_and_rms_norm) {
  for (const Shape& shape : {Shape{4, 37, 3072}, Shape{5, 7}, Shape{2, 3, 50, 128}}) {
    const int64_t D = shape.back();
    const Tensor x = random(shape, 400, 3.0f), w = random({D}, 401), b = random({D}, 402);
    const Tensor w16 = convert(w, DType::BF16);
    for (const Mode& m : modes()) {
      use(m);
      const Tensor xd = gpu().upload(x);
      const std::string s = " D=" + std::to_string(D);
      expect_close("layer_norm affine" + s, gpu().layer_norm(xd, &w, &b, 1e-6f), cpu().layer_norm(x, &w, &b, 1e-6f),
                   m.tolerance);
      expect_close("layer_norm plain" + s, gpu().layer_norm(xd, nullptr, nullptr, 1e-5f),
                   cpu().layer_norm(x, nullptr, nullptr, 1e-5f), m.tolerance);
      expect_close("rms_norm bf16 scale" + s, gpu().rms_norm(xd, &w16, 1e-6f), cpu().rms_norm(x, &w16, 1e-6f),
                   m.tolerance);
      expect_close("rms_norm plain" + s, gpu().rms_norm(xd, nullptr, 1e-6f), cpu().rms_norm(x, nullptr, 1e-6f),
                   m.tolerance);
    }
  }
}

GPU_TEST(fused_modulation) {
  // FLUX's shapes: [B, tokens, hidden] against one [1, hidden] vector per batch item.
  for (const Shape& shape : {Shape{1, 4608, 3072}, Shape{2, 37, 3072}, Shape{3, 5, 64}}) {
    const int64_t B = shape[0], D = shape[2];
    const Tensor x = random(shape, 420, 3.0f), y = random(shape, 421);
    const Tensor scale = random({B, 1, D}, 422, 0.5f), shift = random({B, 1, D}, 423), gate = random({B, 1, D}, 424);
    std::string s = " ";  // appended: GCC 12 reports a false -Wrestrict on " " + a temporary
    s.append(shape_string(shape));
    for (const Mode& m : modes()) {
      use(m);
      const Tensor xd = gpu().upload(x), yd = gpu().upload(y);
      const Tensor sd = gpu().upload(scale), shd = gpu().upload(shift), gd = gpu().upload(gate);
      expect_close("modulated_layer_norm" + s, gpu().modulated_layer_norm(xd, sd, shd, 1e-6f),
                   cpu().modulated_layer_norm(x, scale, shift, 1e-6f), m.tolerance);
      expect_close("gated_add" + s, gpu().gated_add(xd, gd, yd), cpu().gated_add(x, gate, y), m.tolerance);
    }
  }
}

GPU_TEST(group_norm) {
  for (const Shape& shape : {Shape{2, 64, 17, 9}, Shape{1, 512, 64, 64}, Shape{3, 6, 5}}) {
    const int64_t C = shape[1];
    const int groups = C % 32 == 0 ? 32 : 3;
    // An offset mean tests the two-pass variance.
    Tensor x = random(shape, 410, 2.0f);
    for (int64_t i = 0; i < x.numel(); ++i) x.f32()[i] += 5.0f;
    const Tensor w = random({C}, 411), b = random({C}, 412);
    for (const Mode& m : modes()) {
      use(m);
      expect_close("group_norm C=" + std::to_string(C), gpu().group_norm(gpu().upload(x), groups, &w, &b, 1e-6f),
                   cpu().group_norm(x, groups, &w, &b, 1e-6f), m.tolerance);
    }
  }
}

GPU_TEST(softmax_rows) {
  for (const Shape& shape : {Shape{3, 77, 77}, Shape{2, 5000}, Shape{1, 3}}) {
    const Tensor x = random(shape, 420, 4.0f);
    for (const Mode& m : modes()) {
      use(m);
      expect_close("softmax D=" + std::to_string(shape.back()), gpu().softmax(gpu().upload(x)), cpu().softmax(x),
                   m.tolerance);
    }
  }
}

}  // namespace
}  // namespace fluxgen::gpu_test
