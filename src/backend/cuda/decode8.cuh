// Eight consecutive elements of a weight in its storage format decoded to float with one 4-, 8-,
// 16- or 32-byte load: the inner step of dequantization and of the fused small-batch linear; and
// the matching vector store of eight decoded values.
// Group g covers elements [8g, 8g + 8); the source must be aligned to the group's bytes and, for
// NF4/FP4, the quantization block size a multiple of 8 (the group shares one absmax). GGUF types
// (gguf_blocks.cuh) need no alignment: a group never straddles their 32- or 256-element blocks.
#pragma once
#include "backend/cuda/device_math.cuh"

namespace fluxgen::cuda::kernels {

template <DType S>
__device__ __forceinline__ void load8(const void* src, int64_t g, float v[8], const float* absmax, int block,
                                      const float* codes) {
  if constexpr (gguf_device::is_block_type(S)) {
    gguf_device::group<S>(src, g, v);  // byte loads: GGUF blocks are only byte-aligned
  } else if constexpr (S == DType::NF4 || S == DType::FP4) {
    const uint32_t w = static_cast<const uint32_t*>(src)[g];
    const float s = absmax[(g * 8) / block];
#pragma unroll
    for (int j = 0; j < 4; ++j) {
      const uint32_t byte = (w >> (8 * j)) & 0xFFu;
      v[2 * j] = codes[byte >> 4] * s;
      v[2 * j + 1] = codes[byte & 0xFu] * s;
    }
  } else if constexpr (S == DType::F8_E4M3 || S == DType::F8_E5M2) {
    const uint2 w = static_cast<const uint2*>(src)[g];
#pragma unroll
    for (int j = 0; j < 8; ++j) {
      const uint8_t c = static_cast<uint8_t>(((j < 4 ? w.x : w.y) >> (8 * (j % 4))) & 0xFFu);
      v[j] = S == DType::F8_E4M3 ? e4m3_to_float(c) : e5m2_to_float(c);
    }
  } else if constexpr (S == DType::BF16 || S == DType::F16) {
    const uint4 w = static_cast<const uint4*>(src)[g];
    const uint32_t words[4] = {w.x, w.y, w.z, w.w};
#pragma unroll
    for (int j = 0; j < 8; ++j) {
      const uint16_t h = static_cast<uint16_t>((words[j / 2] >> (16 * (j % 2))) & 0xFFFFu);
      v[j] = S == DType::BF16 ? bf16_bits_to_float(h) : f16_bits_to_float(h);
    }
  } else {
    const float4 a = static_cast<const float4*>(src)[2 * g];
    const float4 b = static_cast<const float4*>(src)[2 * g + 1];
    v[0] = a.x, v[1] = a.y, v[2] = a.z, v[3] = a.w, v[4] = b.x, v[5] = b.y, v[6] = b.z, v[7] = b.w;
  }
}

// Stores eight decoded values as group g of an F32 or BF16 (rounded to nearest even) output
// aligned to 16 bytes: two float4 or one uint4 store.
template <typename Out>
__device__ __forceinline__ void store8(void* dst, int64_t g, const float v[8]) {
  if constexpr (sizeof(Out) == 4) {
    static_cast<float4*>(dst)[2 * g] = make_float4(v[0], v[1], v[2], v[3]);
    static_cast<float4*>(dst)[2 * g + 1] = make_float4(v[4], v[5], v[6], v[7]);
  } else {
    uint32_t words[4];
#pragma unroll
    for (int j = 0; j < 4; ++j) {
      const uint32_t lo = __bfloat16_as_ushort(__float2bfloat16_rn(v[2 * j]));
      const uint32_t hi = __bfloat16_as_ushort(__float2bfloat16_rn(v[2 * j + 1]));
      words[j] = lo | (hi << 16);
    }
    static_cast<uint4*>(dst)[g] = make_uint4(words[0], words[1], words[2], words[3]);
  }
}

// Bytes one group of 8 elements occupies (0: no vector path for this dtype).
inline int group_bytes(DType t) {
  switch (t) {
    case DType::NF4:
    case DType::FP4: return 4;
    case DType::F8_E4M3:
    case DType::F8_E5M2: return 8;
    case DType::BF16:
    case DType::F16: return 16;
    case DType::F32: return 32;
    default: return 0;
  }
}

}  // namespace fluxgen::cuda::kernels
