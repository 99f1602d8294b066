// Attention and RoPE on the GPU against the CPU backend: the tensor-core kernel (bf16, head
// dimensions 32/64/128) and the generic one (F32, other head dimensions, D != Dv), with and
// without additive bias (broadcast over batch or heads, F32 or BF16) and causal masks, lengths
// that are not multiples of the tiles, Lq != Lk.
#include "gpu_check.h"
#include "op_support.h"
#include "tensor/convert.h"

namespace fluxgen::gpu_test {
namespace {

struct Shape5 {
  int64_t B, H, Lq, Lk, D, Dv;
};

void check_attention(const Shape5& s, bool causal, int bias_kind, float scale, uint64_t seed) {
  const Tensor q = random({s.B, s.H, s.Lq, s.D}, seed), k = random({s.B, s.H, s.Lk, s.D}, seed + 1);
  const Tensor v = random({s.B, s.H, s.Lk, s.Dv}, seed + 2);
  Tensor bias;
  if (bias_kind == 1) bias = random({1, s.H, s.Lq, s.Lk}, seed + 3);             // T5's relative bias
  if (bias_kind == 2) bias = random({s.B, 1, s.Lq, s.Lk}, seed + 3, 2.0f);       // a per-image mask
  if (bias_kind == 3) bias = convert(random({s.B, s.H, s.Lq, s.Lk}, seed + 3), DType::BF16);
  const Tensor* bp = bias_kind ? &bias : nullptr;
  const Tensor want = cpu().attention(q, k, v, bp, causal, scale);
  const std::string what = "attention B" + std::to_string(s.B) + " H" + std::to_string(s.H) + " Lq" +
                           std::to_string(s.Lq) + " Lk" + std::to_string(s.Lk) + " D" + std::to_string(s.D) +
                           (s.Dv != s.D ? " Dv" + std::to_string(s.Dv) : "") + (causal ? " causal" : "") +
                           (bias_kind ? " bias" + std::to_string(bias_kind) : "");
  for (const Mode& m : modes()) {
    use(m);
    expect_close(what, gpu().attention(gpu().upload(q), gpu().upload(k), gpu().upload(v), bp, causal, scale), want,
                 m.tolerance);
  }
}

GPU_TEST(attention_tensor_core_shapes) {
  check_attention({1, 2, 300, 300, 128, 128}, false, 0, 0.0f, 100);  // FLUX's head dimension
  check_attention({2, 3, 77, 77, 64, 64}, true, 0, 0.0f, 110);       // CLIP: causal, 77 tokens
  check_attention({1, 4, 64, 64, 64, 64}, false, 1, 1.0f, 120);      // T5: bias, no scaling
  check_attention({1, 3, 130, 70, 32, 32}, false, 0, 0.0f, 130);     // Lq != Lk, partial tiles
  check_attention({2, 2, 100, 100, 128, 128}, true, 2, 0.0f, 140);   // bias and causal together
  check_attention({1, 2, 65, 65, 64, 64}, false, 3, 0.0f, 150);      // bf16 bias
  check_attention({1, 24, 1100, 1100, 128, 128}, false, 0, 0.0f, 160);  // many tiles, FLUX-like
}

GPU_TEST(attention_generic_shapes) {
  check_attention({1, 1, 200, 200, 512, 512}, false, 0, 0.0f, 200);  // the autoencoder's single head
  check_attention({2, 3, 45, 61, 80, 80}, false, 1, 0.0f, 210);
  check_attention({1, 2, 33, 33, 16, 16}, true, 0, 0.0f, 220);
  check_attention({1, 2, 40, 50, 48, 24}, false, 2, 0.3f, 230);  // D != Dv
}

GPU_TEST(attention_rejects_mismatched_shapes) {
  use(modes()[1]);
  const Tensor q = gpu().upload(random({1, 2, 8, 32}, 1)), k = gpu().upload(random({1, 2, 9, 32}, 2));
  CHECK_THROWS(gpu().attention(q, k, k, nullptr, false, 0.0f));
  const Tensor bad_bias = random({1, 2, 8, 8}, 3);
  CHECK_THROWS(gpu().attention(q, k, gpu().upload(random({1, 2, 9, 32}, 4)), &bad_bias, false, 0.0f));
}

GPU_TEST(rope_tables_shared_and_per_batch) {
  const int64_t B = 2, H = 3, L = 50, D = 128;
  const Tensor x = random({B, H, L, D}, 300);
  const Tensor c = random({L, D / 2}, 301), s = random({L, D / 2}, 302);
  const Tensor cb = random({B, L, D / 2}, 303), sb = random({B, L, D / 2}, 304);
  for (const Mode& m : modes()) {
    use(m);
    expect_close("rope [L, D/2]", gpu().rope(gpu().upload(x), c, s), cpu().rope(x, c, s), m.tolerance);
    expect_close("rope [B, L, D/2] resident", gpu().rope(gpu().upload(x), gpu().upload_weight(cb), gpu().upload_weight(sb)),
                 cpu().rope(x, cb, sb), m.tolerance);
  }
}

}  // namespace
}  // namespace fluxgen::gpu_test
