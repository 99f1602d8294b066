#include "tensor/gguf_blocks.h"

#include <cstring>

#include "tensor/float_codecs.h"
#include "util/error.h"

namespace fluxgen::gguf {

namespace {

constexpr GgmlTypeInfo kTypes[] = {
    {GgmlType::F32, "F32", 1, 4},       {GgmlType::F16, "F16", 1, 2},
    {GgmlType::BF16, "BF16", 1, 2},     {GgmlType::F64, "F64", 1, 8},
    {GgmlType::I8, "I8", 1, 1},         {GgmlType::I16, "I16", 1, 2},
    {GgmlType::I32, "I32", 1, 4},       {GgmlType::I64, "I64", 1, 8},
    {GgmlType::Q8_0, "Q8_0", kQK, sizeof(BlockQ8_0)},
    {GgmlType::Q4_0, "Q4_0", kQK, sizeof(BlockQ4_0)},
    {GgmlType::Q4_1, "Q4_1", kQK, sizeof(BlockQ4_1)},
    {GgmlType::Q5_0, "Q5_0", kQK, sizeof(BlockQ5_0)},
    {GgmlType::Q5_1, "Q5_1", kQK, sizeof(BlockQ5_1)},
    {GgmlType::Q2_K, "Q2_K", kQK_K, sizeof(BlockQ2_K)},
    {GgmlType::Q3_K, "Q3_K", kQK_K, sizeof(BlockQ3_K)},
    {GgmlType::Q4_K, "Q4_K", kQK_K, sizeof(BlockQ4_K)},
    {GgmlType::Q5_K, "Q5_K", kQK_K, sizeof(BlockQ5_K)},
    {GgmlType::Q6_K, "Q6_K", kQK_K, sizeof(BlockQ6_K)},
};

float h2f(uint16_t h) { return f16_to_f32(h); }

// The 6-bit scale and min of sub-block j of a Q4_K/Q5_K super-block: eight pairs packed into 12
// bytes (the low 6 bits of bytes 0-7 for j < 4, nibbles of bytes 8-11 plus the top two bits of
// bytes 0-7 for j >= 4).
void scale_min_k4(int j, const uint8_t* q, uint8_t& d, uint8_t& m) {
  if (j < 4) {
    d = q[j] & 63;
    m = q[j + 4] & 63;
  } else {
    d = static_cast<uint8_t>((q[j + 4] & 0xF) | ((q[j - 4] >> 6) << 4));
    m = static_cast<uint8_t>((q[j + 4] >> 4) | ((q[j] >> 6) << 4));
  }
}

// Every float expression below keeps ggml's operand order and types (int * float, then - or +)
// so that results are bit-identical; the build does not contract them into FMAs.
void q8_0(const BlockQ8_0& b, float* y) {
  const float d = h2f(b.d);
  for (int j = 0; j < kQK; ++j) y[j] = static_cast<float>(b.qs[j]) * d;
}

void q4_0(const BlockQ4_0& b, float* y) {
  const float d = h2f(b.d);
  for (int j = 0; j < kQK / 2; ++j) {
    y[j] = static_cast<float>((b.qs[j] & 0x0F) - 8) * d;
    y[j + kQK / 2] = static_cast<float>((b.qs[j] >> 4) - 8) * d;
  }
}

void q4_1(const BlockQ4_1& b, float* y) {
  const float d = h2f(b.d), m = h2f(b.m);
  for (int j = 0; j < kQK / 2; ++j) {
    y[j] = static_cast<float>(b.qs[j] & 0x0F) * d + m;
    y[j + kQK / 2] = static_cast<float>(b.qs[j] >> 4) * d + m;
  }
}

// Q5_0/Q5_1: bit j of qh is the fifth bit of element j (elements 0-31).
template <typename Block>
int q5_value(const Block& b, int j, uint32_t qh) {
  const int lo = j < kQK / 2 ? (b.qs[j] & 0x0F) : (b.qs[j - kQK / 2] >> 4);
  return lo | static_cast<int>(((qh >> j) & 1u) << 4);
}

void q5_0(const BlockQ5_0& b, float* y) {
  const float d = h2f(b.d);
  uint32_t qh;
  std::memcpy(&qh, b.qh, 4);
  for (int j = 0; j < kQK; ++j) y[j] = static_cast<float>(q5_value(b, j, qh) - 16) * d;
}

void q5_1(const BlockQ5_1& b, float* y) {
  const float d = h2f(b.d), m = h2f(b.m);
  uint32_t qh;
  std::memcpy(&qh, b.qh, 4);
  for (int j = 0; j < kQK; ++j) y[j] = static_cast<float>(q5_value(b, j, qh)) * d + m;
}

// Q2_K: 16 sub-blocks of 16, each a 4-bit scale and a 4-bit min; the 2-bit codes of 128
// elements share 32 bytes, element group g (0-3) in bits 2g.
void q2_k(const BlockQ2_K& b, float* y) {
  const float d = h2f(b.d), dmin = h2f(b.dmin);
  const uint8_t* q = b.qs;
  int is = 0;
  for (int half = 0; half < 2; ++half, q += 32) {
    for (int shift = 0; shift < 8; shift += 2) {
      for (int part = 0; part < 2; ++part) {
        const uint8_t sc = b.scales[is++];
        const float dl = d * static_cast<float>(sc & 0xF), ml = dmin * static_cast<float>(sc >> 4);
        for (int l = 0; l < 16; ++l) *y++ = dl * static_cast<float>((q[l + 16 * part] >> shift) & 3) - ml;
      }
    }
  }
}

// Q3_K: 16 sub-blocks of 16 with 6-bit signed scales (offset 32) packed into 12 bytes; 2 low bits
// per element as in Q2_K plus a high bit in hmask (a clear bit subtracts 4).
void q3_k(const BlockQ3_K& b, float* y) {
  const float d_all = h2f(b.d);
  int8_t scales[16];
  for (int j = 0; j < 16; ++j) {
    const int low = j < 8 ? (b.scales[j] & 0xF) : (b.scales[j - 8] >> 4);
    const int high = (b.scales[8 + (j % 4)] >> (2 * (j / 4))) & 3;
    scales[j] = static_cast<int8_t>(low | (high << 4));
  }
  const uint8_t* q = b.qs;
  uint8_t m = 1;
  int is = 0;
  for (int half = 0; half < 2; ++half, q += 32) {
    for (int shift = 0; shift < 8; shift += 2, m = static_cast<uint8_t>(m << 1)) {
      for (int part = 0; part < 2; ++part) {
        const float dl = d_all * static_cast<float>(scales[is++] - 32);
        for (int l = 0; l < 16; ++l) {
          const int i = l + 16 * part;
          const int v = ((q[i] >> shift) & 3) - ((b.hmask[i] & m) ? 0 : 4);
          *y++ = dl * static_cast<float>(v);
        }
      }
    }
  }
}

void q4_k(const BlockQ4_K& b, float* y) {
  const float d = h2f(b.d), dmin = h2f(b.dmin);
  const uint8_t* q = b.qs;
  for (int is = 0; is < 8; is += 2, q += 32) {
    uint8_t sc, mn;
    scale_min_k4(is, b.scales, sc, mn);
    const float d1 = d * static_cast<float>(sc), m1 = dmin * static_cast<float>(mn);
    scale_min_k4(is + 1, b.scales, sc, mn);
    const float d2 = d * static_cast<float>(sc), m2 = dmin * static_cast<float>(mn);
    for (int l = 0; l < 32; ++l) *y++ = d1 * static_cast<float>(q[l] & 0xF) - m1;
    for (int l = 0; l < 32; ++l) *y++ = d2 * static_cast<float>(q[l] >> 4) - m2;
  }
}

void q5_k(const BlockQ5_K& b, float* y) {
  const float d = h2f(b.d), dmin = h2f(b.dmin);
  const uint8_t* ql = b.qs;
  unsigned u1 = 1, u2 = 2;
  for (int is = 0; is < 8; is += 2, ql += 32, u1 <<= 2, u2 <<= 2) {
    uint8_t sc, mn;
    scale_min_k4(is, b.scales, sc, mn);
    const float d1 = d * static_cast<float>(sc), m1 = dmin * static_cast<float>(mn);
    scale_min_k4(is + 1, b.scales, sc, mn);
    const float d2 = d * static_cast<float>(sc), m2 = dmin * static_cast<float>(mn);
    for (int l = 0; l < 32; ++l)
      *y++ = d1 * static_cast<float>((ql[l] & 0xF) + ((b.qh[l] & u1) ? 16 : 0)) - m1;
    for (int l = 0; l < 32; ++l)
      *y++ = d2 * static_cast<float>((ql[l] >> 4) + ((b.qh[l] & u2) ? 16 : 0)) - m2;
  }
}

// Q6_K: 16 sub-blocks of 16 with int8 scales; 4 low bits in ql, 2 high bits in qh, offset 32.
void q6_k(const BlockQ6_K& b, float* y) {
  const float d = h2f(b.d);
  const uint8_t* ql = b.ql;
  const uint8_t* qh = b.qh;
  const int8_t* sc = b.scales;
  for (int half = 0; half < 2; ++half, y += 128, ql += 64, qh += 32, sc += 8) {
    for (int l = 0; l < 32; ++l) {
      const int is = l / 16;
      const int q1 = ((ql[l] & 0xF) | (((qh[l] >> 0) & 3) << 4)) - 32;
      const int q2 = ((ql[l + 32] & 0xF) | (((qh[l] >> 2) & 3) << 4)) - 32;
      const int q3 = ((ql[l] >> 4) | (((qh[l] >> 4) & 3) << 4)) - 32;
      const int q4 = ((ql[l + 32] >> 4) | (((qh[l] >> 6) & 3) << 4)) - 32;
      y[l] = d * static_cast<float>(sc[is]) * static_cast<float>(q1);
      y[l + 32] = d * static_cast<float>(sc[is + 2]) * static_cast<float>(q2);
      y[l + 64] = d * static_cast<float>(sc[is + 4]) * static_cast<float>(q3);
      y[l + 96] = d * static_cast<float>(sc[is + 6]) * static_cast<float>(q4);
    }
  }
}

// Copies each block out first: file offsets only promise ggml's 32-byte tensor alignment, and a
// memcpy keeps the reads well-defined whatever the address.
template <typename Block, void (*Decode)(const Block&, float*), int Elems>
void each_block(const uint8_t* src, int64_t nblocks, float* out) {
  Block b;
  for (int64_t i = 0; i < nblocks; ++i) {
    std::memcpy(&b, src + static_cast<size_t>(i) * sizeof(Block), sizeof(Block));
    Decode(b, out + i * Elems);
  }
}

template <typename T>
void widen(const uint8_t* src, int64_t n, float* out) {
  for (int64_t i = 0; i < n; ++i) {
    T v;
    std::memcpy(&v, src + static_cast<size_t>(i) * sizeof(T), sizeof(T));
    out[i] = static_cast<float>(v);
  }
}

}  // namespace

std::optional<GgmlTypeInfo> ggml_type_info(uint32_t id) {
  for (const auto& t : kTypes)
    if (static_cast<uint32_t>(t.type) == id) return t;
  return std::nullopt;
}

const GgmlTypeInfo& ggml_type_info(GgmlType type) {
  for (const auto& t : kTypes)
    if (t.type == type) return t;
  fail("internal: unknown ggml type ", static_cast<uint32_t>(type));
}

bool ggml_type_is_block_quantized(GgmlType t) { return ggml_type_info(t).block_elems > 1; }

bool ggml_whole_blocks(GgmlType t, uint64_t n) { return n % static_cast<uint64_t>(ggml_type_info(t).block_elems) == 0; }

uint64_t ggml_bytes(GgmlType t, uint64_t n) {
  const auto& i = ggml_type_info(t);
  return n / static_cast<uint64_t>(i.block_elems) * static_cast<uint64_t>(i.block_bytes);
}

void dequantize_blocks(GgmlType t, const uint8_t* src, int64_t n, float* out) {
  switch (t) {
    case GgmlType::F32: std::memcpy(out, src, static_cast<size_t>(n) * 4); break;
    case GgmlType::F16:
      for (int64_t i = 0; i < n; ++i) {
        uint16_t h;
        std::memcpy(&h, src + 2 * i, 2);
        out[i] = f16_to_f32(h);
      }
      break;
    case GgmlType::BF16:
      for (int64_t i = 0; i < n; ++i) {
        uint16_t h;
        std::memcpy(&h, src + 2 * i, 2);
        out[i] = bf16_to_f32(h);
      }
      break;
    case GgmlType::F64: widen<double>(src, n, out); break;
    case GgmlType::I8: widen<int8_t>(src, n, out); break;
    case GgmlType::I16: widen<int16_t>(src, n, out); break;
    case GgmlType::I32: widen<int32_t>(src, n, out); break;
    case GgmlType::I64: widen<int64_t>(src, n, out); break;
    case GgmlType::Q8_0: each_block<BlockQ8_0, q8_0, kQK>(src, n, out); break;
    case GgmlType::Q4_0: each_block<BlockQ4_0, q4_0, kQK>(src, n, out); break;
    case GgmlType::Q4_1: each_block<BlockQ4_1, q4_1, kQK>(src, n, out); break;
    case GgmlType::Q5_0: each_block<BlockQ5_0, q5_0, kQK>(src, n, out); break;
    case GgmlType::Q5_1: each_block<BlockQ5_1, q5_1, kQK>(src, n, out); break;
    case GgmlType::Q2_K: each_block<BlockQ2_K, q2_k, kQK_K>(src, n, out); break;
    case GgmlType::Q3_K: each_block<BlockQ3_K, q3_k, kQK_K>(src, n, out); break;
    case GgmlType::Q4_K: each_block<BlockQ4_K, q4_k, kQK_K>(src, n, out); break;
    case GgmlType::Q5_K: each_block<BlockQ5_K, q5_k, kQK_K>(src, n, out); break;
    case GgmlType::Q6_K: each_block<BlockQ6_K, q6_k, kQK_K>(src, n, out); break;
  }
}

}  // namespace fluxgen::gguf
