// Device-side helpers shared by the kernels: element loads and stores in the two activation
// types (float, bfloat16), decoding of every storage dtype to float, warp reductions, and the
// grid sizing every elementwise launch uses.
#pragma once
#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <cuda_fp8.h>
#include <cuda_runtime.h>

#include <cstdint>

#include "backend/cuda/device_math_types.h"
#include "backend/cuda/gguf_blocks.cuh"
#include "tensor/dtype.h"

namespace fluxgen::cuda::kernels {

using bf16 = __nv_bfloat16;

__device__ __forceinline__ float to_float(float v) { return v; }
__device__ __forceinline__ float to_float(bf16 v) { return __bfloat162float(v); }

template <typename T>
__device__ __forceinline__ T from_float(float v);
template <>
__device__ __forceinline__ float from_float<float>(float v) { return v; }
template <>
__device__ __forceinline__ bf16 from_float<bf16>(float v) { return __float2bfloat16_rn(v); }

__device__ __forceinline__ float bf16_bits_to_float(uint32_t bits16) { return __uint_as_float(bits16 << 16); }
__device__ __forceinline__ float f16_bits_to_float(uint16_t bits) { return __half2float(__ushort_as_half(bits)); }
__device__ __forceinline__ float e4m3_to_float(uint8_t code) {
  __nv_fp8_e4m3 v;
  v.__x = code;
  return static_cast<float>(v);
}
__device__ __forceinline__ float e5m2_to_float(uint8_t code) {
  __nv_fp8_e5m2 v;
  v.__x = code;
  return static_cast<float>(v);
}

// Element i of a tensor of any storage dtype as float. `codes` (NF4/FP4 code values) and
// `absmax`/`block` are read only for the 4-bit formats.
__device__ __forceinline__ float decode_element(fluxgen::DType t, const void* p, int64_t i, const float* absmax,
                                                int block, const float* codes) {
  using fluxgen::DType;
  switch (t) {
    case DType::F32: return static_cast<const float*>(p)[i];
    case DType::F64: return static_cast<float>(static_cast<const double*>(p)[i]);
    case DType::F16: return f16_bits_to_float(static_cast<const uint16_t*>(p)[i]);
    case DType::BF16: return bf16_bits_to_float(static_cast<const uint16_t*>(p)[i]);
    case DType::F8_E4M3: return e4m3_to_float(static_cast<const uint8_t*>(p)[i]);
    case DType::F8_E5M2: return e5m2_to_float(static_cast<const uint8_t*>(p)[i]);
    case DType::I64: return static_cast<float>(static_cast<const int64_t*>(p)[i]);
    case DType::I32: return static_cast<float>(static_cast<const int32_t*>(p)[i]);
    case DType::I16: return static_cast<float>(static_cast<const int16_t*>(p)[i]);
    case DType::I8: return static_cast<float>(static_cast<const int8_t*>(p)[i]);
    case DType::U64: return static_cast<float>(static_cast<const uint64_t*>(p)[i]);
    case DType::U32: return static_cast<float>(static_cast<const uint32_t*>(p)[i]);
    case DType::U16: return static_cast<float>(static_cast<const uint16_t*>(p)[i]);
    case DType::U8: return static_cast<float>(static_cast<const uint8_t*>(p)[i]);
    case DType::BOOL: return static_cast<const uint8_t*>(p)[i] ? 1.0f : 0.0f;
    case DType::NF4:
    case DType::FP4: {
      const uint8_t byte = static_cast<const uint8_t*>(p)[i / 2];
      const uint8_t q = (i % 2 == 0) ? (byte >> 4) : (byte & 0x0F);
      return codes[q] * absmax[i / block];
    }
    // One element of a GGUF tensor decodes its group of eight (gguf_blocks.cuh); whole tensors
    // go through decode_gguf instead, a group per thread.
    case DType::Q8_0: case DType::Q4_0: case DType::Q4_1: case DType::Q5_0: case DType::Q5_1:
    case DType::Q2_K: case DType::Q3_K: case DType::Q4_K: case DType::Q5_K: case DType::Q6_K:
      return gguf_device::element(t, p, i);
  }
  return 0.0f;
}

__device__ __forceinline__ float load_param(const ParamRef& r, int64_t i) {
  switch (r.dtype) {
    case fluxgen::DType::BF16: return bf16_bits_to_float(static_cast<const uint16_t*>(r.p)[i]);
    case fluxgen::DType::F16: return f16_bits_to_float(static_cast<const uint16_t*>(r.p)[i]);
    default: return static_cast<const float*>(r.p)[i];
  }
}

__device__ __forceinline__ float warp_sum(float v) {
  for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
  return v;
}

// A layer norm's statistics of one row of D values, computed by the 32 lanes of a warp (two passes
// over the row, which stays in L1): the mean and 1/sqrt(variance + eps), in every lane.
struct RowStats {
  float mean, inv_std;
};
template <typename T>
__device__ __forceinline__ RowStats row_stats(const T* in, int64_t D, int lane, float eps) {
  float sum = 0.0f;
  for (int64_t i = lane; i < D; i += 32) sum += to_float(in[i]);
  const float mean = warp_sum(sum) / static_cast<float>(D);
  float sq = 0.0f;
  for (int64_t i = lane; i < D; i += 32) {
    const float d = to_float(in[i]) - mean;
    sq += d * d;
  }
  return {mean, rsqrtf(warp_sum(sq) / static_cast<float>(D) + eps)};
}
__device__ __forceinline__ float warp_max(float v) {
  for (int o = 16; o > 0; o >>= 1) v = fmaxf(v, __shfl_xor_sync(0xffffffffu, v, o));
  return v;
}

}  // namespace fluxgen::cuda::kernels
