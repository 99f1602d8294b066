// Attention for every case the tensor-core kernel does not take (F32 activations, head
// dimensions other than 32/64/128, D != Dv, unaligned views): fp32 SIMT with the same online
// softmax. One warp owns four consecutive queries; its lanes split the head dimension, so each
// key and value row is read once per four queries, coalesced.
#include <cstdint>

#include "backend/cuda/attention_kernels.h"
#include "backend/cuda/cuda_check.h"
#include "backend/cuda/device_math.cuh"
#include "backend/cuda/launch.h"
#include "util/error.h"

namespace fluxgen::cuda::kernels {

namespace {

constexpr int kRows = 4;    // queries per warp
constexpr int kWarps = 4;   // warps per block

// DPL: elements of the head dimension per lane (ceil(max(D, Dv) / 32)).
template <typename T, int DPL>
__global__ void __launch_bounds__(kWarps * 32) generic_attention_kernel(AttentionArgs a) {
  const int warp = threadIdx.x / 32, lane = threadIdx.x % 32;
  const int64_t bh = blockIdx.y, b = bh / a.H, h = bh % a.H;
  const int64_t row0 = (int64_t(blockIdx.x) * kWarps + warp) * kRows;
  if (row0 >= a.Lq) return;  // whole warp leaves together
  const T* Q = static_cast<const T*>(a.q) + bh * a.Lq * a.D;
  const T* K = static_cast<const T*>(a.k) + bh * a.Lk * a.D;
  const T* V = static_cast<const T*>(a.v) + bh * a.Lk * a.Dv;
  T* O = static_cast<T*>(a.o) + bh * a.Lq * a.Dv;
  const int64_t bias_base = b * a.bias_batch_stride + h * a.bias_head_stride;

  float q[kRows][DPL], acc[kRows][DPL], m[kRows], l[kRows];
#pragma unroll
  for (int r = 0; r < kRows; ++r) {
    const int64_t row = min(row0 + r, a.Lq - 1);  // rows past the end compute a copy, never stored
#pragma unroll
    for (int i = 0; i < DPL; ++i) {
      const int64_t d = lane + 32 * i;
      q[r][i] = d < a.D ? to_float(Q[row * a.D + d]) * a.scale : 0.0f;
      acc[r][i] = 0.0f;
    }
    m[r] = -INFINITY;
    l[r] = 0.0f;
  }
  const int64_t key_end = a.causal ? min(a.Lk, row0 + kRows) : a.Lk;
  for (int64_t j = 0; j < key_end; ++j) {
    float kv[DPL];
#pragma unroll
    for (int i = 0; i < DPL; ++i) {
      const int64_t d = lane + 32 * i;
      kv[i] = d < a.D ? to_float(K[j * a.D + d]) : 0.0f;
    }
    float s[kRows];
#pragma unroll
    for (int r = 0; r < kRows; ++r) {
      float dot = 0.0f;
#pragma unroll
      for (int i = 0; i < DPL; ++i) dot += q[r][i] * kv[i];
      s[r] = warp_sum(dot);
    }
#pragma unroll
    for (int i = 0; i < DPL; ++i) {
      const int64_t d = lane + 32 * i;
      kv[i] = d < a.Dv ? to_float(V[j * a.Dv + d]) : 0.0f;
    }
#pragma unroll
    for (int r = 0; r < kRows; ++r) {
      const int64_t row = row0 + r;
      if (row >= a.Lq || (a.causal && j > row)) continue;
      float sr = s[r];
      if (a.bias.p) sr += load_param(a.bias, bias_base + row * a.Lk + j);
      if (sr == -INFINITY) continue;  // a fully masked key adds nothing
      const float mnew = fmaxf(m[r], sr);
      const float corr = expf(m[r] - mnew), p = expf(sr - mnew);
      m[r] = mnew;
      l[r] = l[r] * corr + p;
#pragma unroll
      for (int i = 0; i < DPL; ++i) acc[r][i] = acc[r][i] * corr + p * kv[i];
    }
  }
#pragma unroll
  for (int r = 0; r < kRows; ++r) {
    const int64_t row = row0 + r;
    if (row >= a.Lq) continue;
    const float inv = 1.0f / l[r];
#pragma unroll
    for (int i = 0; i < DPL; ++i) {
      const int64_t d = lane + 32 * i;
      if (d < a.Dv) O[row * a.Dv + d] = from_float<T>(acc[r][i] * inv);
    }
  }
}

template <typename T, int DPL>
void launch(const AttentionArgs& a, cudaStream_t stream) {
  const int64_t rows_per_block = kRows * kWarps;
  const dim3 grid(static_cast<unsigned>((a.Lq + rows_per_block - 1) / rows_per_block), static_cast<unsigned>(a.B * a.H));
  generic_attention_kernel<T, DPL><<<grid, kWarps * 32, 0, stream>>>(a);
  check_launch("generic_attention");
}

template <typename T>
void launch_typed(const AttentionArgs& a, cudaStream_t stream) {
  const int64_t d = std::max(a.D, a.Dv);
  if (d <= 32) return launch<T, 1>(a, stream);
  if (d <= 64) return launch<T, 2>(a, stream);
  if (d <= 128) return launch<T, 4>(a, stream);
  if (d <= 256) return launch<T, 8>(a, stream);
  launch<T, 16>(a, stream);
}

}  // namespace

void generic_attention(const AttentionArgs& a, cudaStream_t stream) {
  check(std::max(a.D, a.Dv) <= kMaxGenericHeadDim, "attention: head dimension ", std::max(a.D, a.Dv),
        " exceeds the CUDA backend's ", kMaxGenericHeadDim);
  check(a.B * a.H <= 65535, "attention: ", a.B * a.H, " batch·heads exceed the CUDA grid");
  if (a.Lq <= 0) return;
  if (a.t == DType::F32)
    launch_typed<float>(a, stream);
  else
    launch_typed<bf16>(a, stream);
}

}  // namespace fluxgen::cuda::kernels
