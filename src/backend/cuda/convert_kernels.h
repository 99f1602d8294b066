// Conversions between storage dtypes on the device: every dtype decoded to the activation types
// (F32 or BF16), fp32/bf16 encoded to float8 with a scale (the FP8 GEMM's activations), the
// absolute maximum that scale comes from, and bitsandbytes' NF4/FP4 block quantization.
#pragma once
#include <cuda_runtime.h>

#include <cstdint>

#include "tensor/dtype.h"

namespace fluxgen::cuda::kernels {

// The 16 code values of NF4 or FP4, passed by value so every kernel has them in registers/shared memory.
struct CodeTable {
  float value[16];
};

// dst[i] = decode(src, i) for i < n; dst_type is F32 or BF16. absmax/block_size/codes are used for
// NF4/FP4 only; GGUF block types go to decode_gguf (gguf_decode_kernels.h).
void decode(DType src_type, const void* src, const float* absmax, int block_size, const CodeTable& codes, int64_t n,
            DType dst_type, void* dst, cudaStream_t stream);

// *amax = max |src[i]| (src F32 or BF16); *amax must be 0 beforehand (atomic maximum).
void abs_max(DType src_type, const void* src, int64_t n, float* amax, cudaStream_t stream);

// FP8 encoding with a per-tensor scale taken from a device amax: scale = max(amax, tiny) / fp8_max,
// dst = saturate(src / scale) rounded to nearest even, and *scale_out = scale (what the GEMM
// multiplies back). dst_type is F8_E4M3 or F8_E5M2.
void encode_fp8_scaled(DType src_type, const void* src, int64_t n, const float* amax, DType dst_type, void* dst,
                       float* scale_out, cudaStream_t stream);

// Plain saturating FP8 encoding (scale 1), bit-compatible with f32_to_e4m3fn/e5m2(Overflow::Saturate).
void encode_fp8(DType src_type, const void* src, int64_t n, DType dst_type, void* dst, cudaStream_t stream);

// The decision constants of bnb's quantizers (tensor/bnb4.h).
struct Bnb4Thresholds {
  float nf4[15];
  float fp4[7];
  uint8_t fp4_codes[8];
};

// bitsandbytes' quantize_4bit of n floats (F32 or BF16 source) in blocks of block_size (even):
// packed gets (n+1)/2 bytes, absmax ceil(n/block_size) floats; bit-compatible with bnb::quantize.
void quantize_bnb4(DType format, DType src_type, const void* src, int64_t n, int block_size,
                   const Bnb4Thresholds& thresholds, uint8_t* packed, float* absmax, cudaStream_t stream);

}  // namespace fluxgen::cuda::kernels
