// Normalizations and softmax over activations (F32 or BF16); statistics always in fp32 (group
// norm's in fp64 atomics across blocks).
#pragma once
#include <cuda_runtime.h>

#include <cstdint>

#include "backend/cuda/device_math_types.h"
#include "tensor/dtype.h"

namespace fluxgen::cuda::kernels {

// Over the last dimension D of `rows` rows: (x − mean)/sqrt(var + eps) · weight + bias.
void layer_norm(DType t, const void* x, void* y, int64_t rows, int64_t D, ParamRef weight, ParamRef bias, float eps,
                cudaStream_t stream);
// x / sqrt(mean(x²) + eps) · weight.
void rms_norm(DType t, const void* x, void* y, int64_t rows, int64_t D, ParamRef weight, float eps,
              cudaStream_t stream);
// x [N, C, spatial] in `groups` groups of channels; `scratch` holds 4·N·groups doubles.
void group_norm(DType t, const void* x, void* y, int64_t N, int64_t C, int64_t spatial, int groups, ParamRef weight,
                ParamRef bias, float eps, double* scratch, cudaStream_t stream);
// Softmax over the last dimension.
void softmax(DType t, const void* x, void* y, int64_t rows, int64_t D, cudaStream_t stream);

}  // namespace fluxgen::cuda::kernels
