// GGUF block-quantized weights (Q8_0 ... Q6_K) decoded on the device: the layers stay as their
// raw blocks in VRAM and are expanded to the compute dtype only when used, as NF4/FP4/FP8 are.
#pragma once
#include <cuda_runtime.h>

#include <cstdint>

#include "tensor/dtype.h"

namespace fluxgen::cuda::kernels {

// dst[i] = element i of the GGUF tensor whose blocks start at `blocks`, for i < n, in dst_type
// (F32, or BF16 rounded to nearest even); bit-identical to gguf::dequantize_blocks. `blocks` may
// have any alignment and must hold ceil(n / block elements) whole blocks. Fails for any other
// source dtype.
void decode_gguf(DType type, const void* blocks, int64_t n, DType dst_type, void* dst, cudaStream_t stream);

}  // namespace fluxgen::cuda::kernels
