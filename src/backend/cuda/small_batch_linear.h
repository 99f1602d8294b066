// A linear layer for a few rows of input (M ≤ 8: modulation vectors, embedders, a batch of pooled
// vectors) that decodes the weight as it multiplies: y[m, n] = Σ_k x[m, k]·W[n, k] (+ bias[n]).
// Such products are bound by reading the weight once; dequantizing it to a buffer first would
// write and re-read it in bf16 (4x the bytes of NF4).
#pragma once
#include <cuda_runtime.h>

#include <cstdint>

#include "backend/cuda/convert_kernels.h"
#include "tensor/dtype.h"

namespace fluxgen::cuda::kernels {

constexpr int64_t kSmallBatchRows = 8;

// Whether the weight's format, width and alignment allow the fused kernel.
bool small_batch_linear_supported(DType w_type, const void* w, int64_t K, int block_size);

// W [N, K] in w_type (absmax/block_size/codes for NF4/FP4); x [M, K] and y [M, N] in act (F32 or
// BF16); bias [N] in act or nullptr.
void small_batch_linear(DType w_type, const void* w, const float* absmax, int block_size, const CodeTable& codes,
                        int64_t N, int64_t K, DType act, const void* x, int64_t M, const void* bias, void* y,
                        cudaStream_t stream);

}  // namespace fluxgen::cuda::kernels
