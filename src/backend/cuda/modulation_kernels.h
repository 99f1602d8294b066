// FLUX's modulation fused into one kernel each (what the blocks run around every attention and MLP):
// the adaptive layer norm and the gated residual. Activations F32 or BF16, statistics in fp32.
#pragma once
#include <cuda_runtime.h>

#include <cstdint>

#include "tensor/dtype.h"

namespace fluxgen::cuda::kernels {

// x [rows, D] with rows = batches × tokens; scale/shift [batches, D]:
// y = (x − mean)/sqrt(var + eps) · (1 + scale[b]) + shift[b], b = row / tokens.
void modulated_layer_norm(DType t, const void* x, const void* scale, const void* shift, void* y, int64_t rows,
                          int64_t D, int64_t tokens, float eps, cudaStream_t stream);
// out = x + gate[b] · y over [rows, D], gate [batches, D], b = row / tokens.
void gated_add(DType t, const void* x, const void* gate, const void* y, void* out, int64_t rows, int64_t D,
               int64_t tokens, cudaStream_t stream);

}  // namespace fluxgen::cuda::kernels
