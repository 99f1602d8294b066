// Fused scaled-dot-product attention (FlashAttention-style: online softmax, fp32 statistics and
// accumulation, no L×L matrix in memory) and rotary embeddings.
#pragma once
#include <cuda_runtime.h>

#include <cstdint>

#include "backend/cuda/device_math_types.h"
#include "tensor/dtype.h"

namespace fluxgen::cuda::kernels {

struct AttentionArgs {
  const void* q = nullptr;  // [B, H, Lq, D]
  const void* k = nullptr;  // [B, H, Lk, D]
  const void* v = nullptr;  // [B, H, Lk, Dv]
  void* o = nullptr;        // [B, H, Lq, Dv]
  DType t = DType::BF16;    // of q, k, v and o: F32 or BF16
  int64_t B = 0, H = 0, Lq = 0, Lk = 0, D = 0, Dv = 0;
  ParamRef bias;                         // additive, rows of Lk; absent when bias.p == nullptr
  int64_t bias_batch_stride = 0;         // elements between batches (0: broadcast)
  int64_t bias_head_stride = 0;          // elements between heads (0: broadcast)
  bool causal = false;                   // key j masked for query i when j > i
  float scale = 1.0f;
};

// Tensor-core kernel (mma.sync bf16, fp32 accumulation): bf16, D == Dv in {32, 64, 128}, 16-byte
// aligned pointers. `shared_optin` is the device's opt-in shared memory per block.
bool flash_attention_supported(const AttentionArgs& a, size_t shared_optin);
void flash_attention(const AttentionArgs& a, cudaStream_t stream);

// Any head dimension up to 512, F32 or BF16: fp32 SIMT kernel, one warp per four queries.
constexpr int64_t kMaxGenericHeadDim = 512;
void generic_attention(const AttentionArgs& a, cudaStream_t stream);

// FLUX's rotary embedding on interleaved pairs of x [B, H, L, 2·half] with cos/sin rows of `half`
// ([L, half], or [B, L, half] when per_batch).
void rope(DType t, const void* x, void* y, int64_t B, int64_t H, int64_t L, int64_t half, ParamRef cos, ParamRef sin,
          bool per_batch, cudaStream_t stream);

}  // namespace fluxgen::cuda::kernels
