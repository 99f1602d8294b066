// ggml's block formats (Q8_0 ... Q6_K) decoded on the device, eight consecutive elements of one
// block at a time. The results are bit-identical to the CPU decoders of tensor/gguf_blocks.cpp
// (themselves bit-exact against ggml's dequantize_row_*): the fp16 scales are widened exactly
// (__half2float), the integer codes are built the same way, and every float expression keeps the
// CPU's operands, types and order with each multiply and add rounded on its own (__fmul_rn,
// __fadd_rn, __fsub_rn), so nvcc cannot contract `d·q - m` into an FMA, which rounds once.
// Field offsets come from the block structs of gguf_blocks.h, the one statement of the layouts.
#pragma once
#include <cuda_fp16.h>

#include <cstddef>
#include <cstdint>

#include "tensor/dtype.h"
#include "tensor/gguf_blocks.h"

namespace fluxgen::cuda::kernels::gguf_device {

using fluxgen::gguf::BlockQ2_K;
using fluxgen::gguf::BlockQ3_K;
using fluxgen::gguf::BlockQ4_0;
using fluxgen::gguf::BlockQ4_1;
using fluxgen::gguf::BlockQ4_K;
using fluxgen::gguf::BlockQ5_0;
using fluxgen::gguf::BlockQ5_1;
using fluxgen::gguf::BlockQ5_K;
using fluxgen::gguf::BlockQ6_K;
using fluxgen::gguf::BlockQ8_0;
using fluxgen::gguf::kQK;
using fluxgen::gguf::kQK_K;

// Blocks are 18, 22, 110 ... bytes long and follow each other without padding, so their fields
// are only byte-aligned: every field is read a byte at a time.
__device__ __forceinline__ float half_at(const uint8_t* p) {
  return __half2float(__ushort_as_half(static_cast<unsigned short>(p[0] | (p[1] << 8))));
}
__device__ __forceinline__ uint32_t u32_at(const uint8_t* p) {
  return uint32_t(p[0]) | (uint32_t(p[1]) << 8) | (uint32_t(p[2]) << 16) | (uint32_t(p[3]) << 24);
}
__device__ __forceinline__ float f(int v) { return static_cast<float>(v); }

template <DType T>
struct Layout;
template <> struct Layout<DType::Q8_0> { using Block = BlockQ8_0; static constexpr int elems = kQK; };
template <> struct Layout<DType::Q4_0> { using Block = BlockQ4_0; static constexpr int elems = kQK; };
template <> struct Layout<DType::Q4_1> { using Block = BlockQ4_1; static constexpr int elems = kQK; };
template <> struct Layout<DType::Q5_0> { using Block = BlockQ5_0; static constexpr int elems = kQK; };
template <> struct Layout<DType::Q5_1> { using Block = BlockQ5_1; static constexpr int elems = kQK; };
template <> struct Layout<DType::Q2_K> { using Block = BlockQ2_K; static constexpr int elems = kQK_K; };
template <> struct Layout<DType::Q3_K> { using Block = BlockQ3_K; static constexpr int elems = kQK_K; };
template <> struct Layout<DType::Q4_K> { using Block = BlockQ4_K; static constexpr int elems = kQK_K; };
template <> struct Layout<DType::Q5_K> { using Block = BlockQ5_K; static constexpr int elems = kQK_K; };
template <> struct Layout<DType::Q6_K> { using Block = BlockQ6_K; static constexpr int elems = kQK_K; };

// Q4_K/Q5_K: the 6-bit scale and min of sub-block j (0-7) from the 12 packed bytes at q.
__device__ __forceinline__ void scale_min_k4(int j, const uint8_t* q, int& d, int& m) {
  if (j < 4) {
    d = q[j] & 63;
    m = q[j + 4] & 63;
  } else {
    d = (q[j + 4] & 0xF) | ((q[j - 4] >> 6) << 4);
    m = (q[j + 4] >> 4) | ((q[j] >> 6) << 4);
  }
}

// Elements [o, o + 8) of the block at b into v; o is a multiple of 8, so the eight share every
// scale (the smallest sub-block, Q2_K/Q3_K/Q6_K's, has 16 elements).
template <DType T>
__device__ __forceinline__ void group8(const uint8_t* b, int o, float v[8]) {
  if constexpr (T == DType::Q8_0) {
    const float d = half_at(b + offsetof(BlockQ8_0, d));
    const uint8_t* qs = b + offsetof(BlockQ8_0, qs);
#pragma unroll
    for (int j = 0; j < 8; ++j) v[j] = __fmul_rn(f(static_cast<int8_t>(qs[o + j])), d);
  } else if constexpr (T == DType::Q4_0 || T == DType::Q4_1) {
    using B = typename Layout<T>::Block;
    const float d = half_at(b + offsetof(B, d));
    const uint8_t* qs = b + offsetof(B, qs) + o % (kQK / 2);
    const bool high = o >= kQK / 2;  // elements 16-31 are the high nibbles of bytes 0-15
    float m = 0.0f;
    if constexpr (T == DType::Q4_1) m = half_at(b + offsetof(BlockQ4_1, m));
#pragma unroll
    for (int j = 0; j < 8; ++j) {
      const int q = high ? (qs[j] >> 4) : (qs[j] & 0x0F);
      if constexpr (T == DType::Q4_0)
        v[j] = __fmul_rn(f(q - 8), d);
      else
        v[j] = __fadd_rn(__fmul_rn(f(q), d), m);
    }
  } else if constexpr (T == DType::Q5_0 || T == DType::Q5_1) {
    using B = typename Layout<T>::Block;
    const float d = half_at(b + offsetof(B, d));
    const uint32_t qh = u32_at(b + offsetof(B, qh));  // bit j: the fifth bit of element j
    const uint8_t* qs = b + offsetof(B, qs) + o % (kQK / 2);
    const bool high = o >= kQK / 2;
    float m = 0.0f;
    if constexpr (T == DType::Q5_1) m = half_at(b + offsetof(BlockQ5_1, m));
#pragma unroll
    for (int j = 0; j < 8; ++j) {
      const int lo = high ? (qs[j] >> 4) : (qs[j] & 0x0F);
      const int q = lo | static_cast<int>(((qh >> (o + j)) & 1u) << 4);
      if constexpr (T == DType::Q5_0)
        v[j] = __fmul_rn(f(q - 16), d);
      else
        v[j] = __fadd_rn(__fmul_rn(f(q), d), m);
    }
  } else if constexpr (T == DType::Q2_K) {
    // Element o: half o/128 of the codes (32 bytes each), bit pair (o%128)/32, byte (o%32).
    const float d = half_at(b + offsetof(BlockQ2_K, d)), dmin = half_at(b + offsetof(BlockQ2_K, dmin));
    const int sc = b[offsetof(BlockQ2_K, scales) + o / 16];
    const float dl = __fmul_rn(d, f(sc & 0xF)), ml = __fmul_rn(dmin, f(sc >> 4));
    const uint8_t* q = b + offsetof(BlockQ2_K, qs) + (o / 128) * 32 + o % 32;
    const int shift = ((o % 128) / 32) * 2;
#pragma unroll
    for (int j = 0; j < 8; ++j) v[j] = __fsub_rn(__fmul_rn(dl, f((q[j] >> shift) & 3)), ml);
  } else if constexpr (T == DType::Q3_K) {
    const float d_all = half_at(b + offsetof(BlockQ3_K, d));
    const uint8_t* scales = b + offsetof(BlockQ3_K, scales);
    const int is = o / 16;
    const int low = is < 8 ? (scales[is] & 0xF) : (scales[is - 8] >> 4);
    const int high = (scales[8 + is % 4] >> (2 * (is / 4))) & 3;
    const float dl = __fmul_rn(d_all, f((low | (high << 4)) - 32));
    const int pair = (o % 128) / 32;         // which bit pair of the code bytes
    const int m = 1 << ((o / 128) * 4 + pair);  // the hmask bit of this quarter
    const int i0 = o % 32;
    const uint8_t* q = b + offsetof(BlockQ3_K, qs) + (o / 128) * 32;
    const uint8_t* hmask = b + offsetof(BlockQ3_K, hmask);
#pragma unroll
    for (int j = 0; j < 8; ++j) {
      const int i = i0 + j;
      const int c = ((q[i] >> (2 * pair)) & 3) - ((hmask[i] & m) ? 0 : 4);
      v[j] = __fmul_rn(dl, f(c));
    }
  } else if constexpr (T == DType::Q4_K || T == DType::Q5_K) {
    // 64 elements per 32 code bytes: the low nibbles (sub-block 2c), then the high (2c + 1).
    using B = typename Layout<T>::Block;
    const float d = half_at(b + offsetof(B, d)), dmin = half_at(b + offsetof(B, dmin));
    const int c = o / 64, sub = 2 * c + (o % 64) / 32, l0 = o % 32;
    int sc, mn;
    scale_min_k4(sub, b + offsetof(B, scales), sc, mn);
    const float d1 = __fmul_rn(d, f(sc)), m1 = __fmul_rn(dmin, f(mn));
    const uint8_t* ql = b + offsetof(B, qs) + c * 32 + l0;
    const bool high = sub % 2 == 1;
#pragma unroll
    for (int j = 0; j < 8; ++j) {
      int q = high ? (ql[j] >> 4) : (ql[j] & 0xF);
      if constexpr (T == DType::Q5_K) q += (b[offsetof(BlockQ5_K, qh) + l0 + j] & (1 << sub)) ? 16 : 0;
      v[j] = __fsub_rn(__fmul_rn(d1, f(q)), m1);
    }
  } else {
    static_assert(T == DType::Q6_K, "not a GGUF block type");
    // Each half of 128 elements: 64 ql bytes, 32 qh bytes and 8 scales; quarter k of a half takes
    // nibble k/2 of ql[l + 32(k%2)] and bit pair k of qh[l].
    const int half = o / 128, k = (o % 128) / 32, l0 = o % 32;
    const float d = half_at(b + offsetof(BlockQ6_K, d));
    const int sc = static_cast<int8_t>(b[offsetof(BlockQ6_K, scales) + half * 8 + l0 / 16 + 2 * k]);
    const float ds = __fmul_rn(d, f(sc));
    const uint8_t* ql = b + offsetof(BlockQ6_K, ql) + half * 64 + (k % 2) * 32 + l0;
    const uint8_t* qh = b + offsetof(BlockQ6_K, qh) + half * 32 + l0;
#pragma unroll
    for (int j = 0; j < 8; ++j) {
      const int low = k < 2 ? (ql[j] & 0xF) : (ql[j] >> 4);
      const int q = (low | (((qh[j] >> (2 * k)) & 3) << 4)) - 32;
      v[j] = __fmul_rn(ds, f(q));
    }
  }
}

// Whether T is one of the block types above (a compile-time dtype_is_gguf_block).
__host__ __device__ constexpr bool is_block_type(DType t) {
  return t == DType::Q8_0 || t == DType::Q4_0 || t == DType::Q4_1 || t == DType::Q5_0 || t == DType::Q5_1 ||
         t == DType::Q2_K || t == DType::Q3_K || t == DType::Q4_K || t == DType::Q5_K || t == DType::Q6_K;
}

// Elements [8g, 8g + 8) of a tensor of GGUF type T whose blocks start at base.
template <DType T>
__device__ __forceinline__ void group(const void* base, int64_t g, float v[8]) {
  using L = Layout<T>;
  const int64_t e = g * 8;
  group8<T>(static_cast<const uint8_t*>(base) + (e / L::elems) * int64_t(sizeof(typename L::Block)),
            static_cast<int>(e % L::elems), v);
}

// Element i of a tensor of GGUF type T whose blocks start at base (the embedding lookup and any
// other per-element reader).
template <DType T>
__device__ __forceinline__ float element(const void* base, int64_t i) {
  using L = Layout<T>;
  const auto* b = static_cast<const uint8_t*>(base) + (i / L::elems) * int64_t(sizeof(typename L::Block));
  const int o = static_cast<int>(i % L::elems);
  float v[8];
  group8<T>(b, o & ~7, v);
  float r = v[0];
#pragma unroll
  for (int j = 1; j < 8; ++j) r = (o & 7) == j ? v[j] : r;  // a select, not an indexed (local-memory) load
  return r;
}

// The same for a type known at run time; 0 for types that are not GGUF blocks (never asked).
__device__ __forceinline__ float element(DType t, const void* base, int64_t i) {
  switch (t) {
    case DType::Q8_0: return element<DType::Q8_0>(base, i);
    case DType::Q4_0: return element<DType::Q4_0>(base, i);
    case DType::Q4_1: return element<DType::Q4_1>(base, i);
    case DType::Q5_0: return element<DType::Q5_0>(base, i);
    case DType::Q5_1: return element<DType::Q5_1>(base, i);
    case DType::Q2_K: return element<DType::Q2_K>(base, i);
    case DType::Q3_K: return element<DType::Q3_K>(base, i);
    case DType::Q4_K: return element<DType::Q4_K>(base, i);
    case DType::Q5_K: return element<DType::Q5_K>(base, i);
    case DType::Q6_K: return element<DType::Q6_K>(base, i);
    default: return 0.0f;
  }
}

}  // namespace fluxgen::cuda::kernels::gguf_device
