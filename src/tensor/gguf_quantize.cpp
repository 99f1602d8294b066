#include "tensor/gguf_quantize.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "tensor/float_codecs.h"
#include "util/error.h"

namespace fluxgen::gguf {

namespace {

// A scale as stored: fp16, kept finite (weights far past fp16's range cannot be stored anyway).
uint16_t to_f16(float v) { return f32_to_f16(std::clamp(v, -65504.0f, 65504.0f)); }
float stored(uint16_t h) { return f16_to_f32(h); }

// The nearest of the levels lo..hi of step `step` for value v (0 when the step is 0), clamped
// before the conversion to int so no value is out of int's range.
int level(float v, float step, int lo, int hi) {
  if (step == 0.0f || !std::isfinite(v / step)) return std::clamp(0, lo, hi);
  return static_cast<int>(std::clamp(std::nearbyint(v / step), static_cast<float>(lo), static_cast<float>(hi)));
}

// The element of largest magnitude, with its sign (the symmetric types map it to their most
// negative level exactly, as ggml's reference encoders do).
float signed_max(const float* x, int n) {
  float m = 0.0f;
  for (int i = 0; i < n; ++i)
    if (std::fabs(x[i]) > std::fabs(m)) m = x[i];
  return m;
}

// min(0, smallest) and the largest element: the range a "scale and minimum" block covers.
void range_with_zero(const float* x, int n, float& lo, float& hi) {
  lo = 0.0f;
  hi = x[0];
  for (int i = 0; i < n; ++i) {
    lo = std::min(lo, x[i]);
    hi = std::max(hi, x[i]);
  }
  hi = std::max(hi, lo);
}

void q8_0(const float* x, BlockQ8_0& b) {
  float amax = 0.0f;
  for (int j = 0; j < kQK; ++j) amax = std::max(amax, std::fabs(x[j]));
  b.d = to_f16(amax / 127.0f);
  const float d = stored(b.d);
  for (int j = 0; j < kQK; ++j) b.qs[j] = static_cast<int8_t>(level(x[j], d, -127, 127));
}

// Q4_0 / Q5_0: y = (q - offset) · d with d = max / -offset.
template <int Offset>
float symmetric_scale(const float* x, uint16_t& d16) {
  d16 = to_f16(signed_max(x, kQK) / -static_cast<float>(Offset));
  return stored(d16);
}

void q4_0(const float* x, BlockQ4_0& b) {
  const float d = symmetric_scale<8>(x, b.d);
  for (int j = 0; j < kQK / 2; ++j) {
    const int lo = level(x[j], d, -8, 7) + 8, hi = level(x[j + kQK / 2], d, -8, 7) + 8;
    b.qs[j] = static_cast<uint8_t>(lo | (hi << 4));
  }
}

void q5_0(const float* x, BlockQ5_0& b) {
  const float d = symmetric_scale<16>(x, b.d);
  uint32_t qh = 0;
  std::memset(b.qs, 0, sizeof b.qs);
  for (int j = 0; j < kQK; ++j) {
    const int q = level(x[j], d, -16, 15) + 16;
    if (j < kQK / 2) b.qs[j] = static_cast<uint8_t>(b.qs[j] | (q & 0xF));
    else b.qs[j - kQK / 2] = static_cast<uint8_t>(b.qs[j - kQK / 2] | ((q & 0xF) << 4));
    qh |= static_cast<uint32_t>(q >> 4) << j;
  }
  std::memcpy(b.qh, &qh, 4);
}

// Q4_1 / Q5_1: y = q · d + m over the block's range.
template <int Levels, typename Block>
void with_min(const float* x, Block& b, int* q) {
  float lo = x[0], hi = x[0];
  for (int j = 0; j < kQK; ++j) {
    lo = std::min(lo, x[j]);
    hi = std::max(hi, x[j]);
  }
  b.d = to_f16((hi - lo) / static_cast<float>(Levels - 1));
  b.m = to_f16(lo);
  const float d = stored(b.d), m = stored(b.m);
  for (int j = 0; j < kQK; ++j) q[j] = level(x[j] - m, d, 0, Levels - 1);
}

void q4_1(const float* x, BlockQ4_1& b) {
  int q[kQK];
  with_min<16>(x, b, q);
  for (int j = 0; j < kQK / 2; ++j) b.qs[j] = static_cast<uint8_t>(q[j] | (q[j + kQK / 2] << 4));
}

void q5_1(const float* x, BlockQ5_1& b) {
  int q[kQK];
  with_min<32>(x, b, q);
  uint32_t qh = 0;
  for (int j = 0; j < kQK / 2; ++j) b.qs[j] = static_cast<uint8_t>((q[j] & 0xF) | ((q[j + kQK / 2] & 0xF) << 4));
  for (int j = 0; j < kQK; ++j) qh |= static_cast<uint32_t>(q[j] >> 4) << j;
  std::memcpy(b.qh, &qh, 4);
}

// The k-quants with a minimum (Q2_K, Q4_K, Q5_K): sub-block s covers [-min_s, -min_s + levels·scale_s];
// the sub-scales and sub-minima are integers of `sub_bits` bits times the super-block's d and dmin.
struct SubScales {
  int sc[16], mn[16];
  uint16_t d, dmin;
};

SubScales sub_scales_with_min(const float* x, int subs, int sub_len, int levels, int sub_max) {
  float scale[16], minimum[16], max_scale = 0.0f, max_min = 0.0f;
  for (int s = 0; s < subs; ++s) {
    float lo, hi;
    range_with_zero(x + s * sub_len, sub_len, lo, hi);
    scale[s] = (hi - lo) / static_cast<float>(levels);
    minimum[s] = -lo;
    max_scale = std::max(max_scale, scale[s]);
    max_min = std::max(max_min, minimum[s]);
  }
  SubScales out{};
  out.d = to_f16(max_scale / static_cast<float>(sub_max));
  out.dmin = to_f16(max_min / static_cast<float>(sub_max));
  const float d = stored(out.d), dmin = stored(out.dmin);
  for (int s = 0; s < subs; ++s) {
    // Rounding the scale up keeps the sub-block's largest value inside the levels.
    out.sc[s] = d == 0.0f ? 0 : static_cast<int>(std::clamp(std::ceil(scale[s] / d), 0.0f, static_cast<float>(sub_max)));
    out.mn[s] = level(minimum[s], dmin, 0, sub_max);
  }
  return out;
}

// The codes of sub-block s for the stored scales: q = nearest((x + min) / scale).
void codes_with_min(const float* x, int sub_len, float d, float dmin, int sc, int mn, int levels, int* q) {
  const float step = d * static_cast<float>(sc), m = dmin * static_cast<float>(mn);
  for (int l = 0; l < sub_len; ++l) q[l] = level(x[l] + m, step, 0, levels);
}

void q2_k(const float* x, BlockQ2_K& b) {
  const SubScales ss = sub_scales_with_min(x, 16, 16, 3, 15);
  b.d = ss.d;
  b.dmin = ss.dmin;
  std::memset(b.qs, 0, sizeof b.qs);
  const float d = stored(b.d), dmin = stored(b.dmin);
  for (int s = 0; s < 16; ++s) {
    b.scales[s] = static_cast<uint8_t>(ss.sc[s] | (ss.mn[s] << 4));
    int q[16];
    codes_with_min(x + 16 * s, 16, d, dmin, ss.sc[s], ss.mn[s], 3, q);
    // Sub-block s: bytes (s / 8)·32 + (s % 2)·16 + l, bit pair 2·((s % 8) / 2).
    const int base = (s / 8) * 32 + (s % 2) * 16, shift = 2 * ((s % 8) / 2);
    for (int l = 0; l < 16; ++l) b.qs[base + l] = static_cast<uint8_t>(b.qs[base + l] | (q[l] << shift));
  }
}

// Q4_K / Q5_K's twelve bytes of 6-bit scales and minima (the inverse of scale_min_k4).
void pack_scale_min_k4(const int* sc, const int* mn, uint8_t* q) {
  std::memset(q, 0, 12);
  for (int j = 0; j < 4; ++j) {
    q[j] = static_cast<uint8_t>(sc[j]);
    q[j + 4] = static_cast<uint8_t>(mn[j]);
  }
  for (int j = 4; j < 8; ++j) {
    q[j + 4] = static_cast<uint8_t>((sc[j] & 0xF) | ((mn[j] & 0xF) << 4));
    q[j - 4] = static_cast<uint8_t>(q[j - 4] | ((sc[j] >> 4) << 6));
    q[j] = static_cast<uint8_t>(q[j] | ((mn[j] >> 4) << 6));
  }
}

template <int Levels, typename Block>
void k_with_min(const float* x, Block& b, int (*q)[32]) {
  const SubScales ss = sub_scales_with_min(x, 8, 32, Levels, 63);
  b.d = ss.d;
  b.dmin = ss.dmin;
  pack_scale_min_k4(ss.sc, ss.mn, b.scales);
  const float d = stored(b.d), dmin = stored(b.dmin);
  for (int s = 0; s < 8; ++s) codes_with_min(x + 32 * s, 32, d, dmin, ss.sc[s], ss.mn[s], Levels, q[s]);
}

void q4_k(const float* x, BlockQ4_K& b) {
  int q[8][32];
  k_with_min<15>(x, b, q);
  // Sub-blocks 2p and 2p+1 share bytes 32p..32p+31: low and high nibbles.
  for (int p = 0; p < 4; ++p)
    for (int l = 0; l < 32; ++l) b.qs[32 * p + l] = static_cast<uint8_t>(q[2 * p][l] | (q[2 * p + 1][l] << 4));
}

void q5_k(const float* x, BlockQ5_K& b) {
  int q[8][32];
  k_with_min<31>(x, b, q);
  std::memset(b.qh, 0, sizeof b.qh);
  for (int p = 0; p < 4; ++p)
    for (int l = 0; l < 32; ++l)
      b.qs[32 * p + l] = static_cast<uint8_t>((q[2 * p][l] & 0xF) | ((q[2 * p + 1][l] & 0xF) << 4));
  // The fifth bit of sub-block s's element l is bit s of qh[l].
  for (int s = 0; s < 8; ++s)
    for (int l = 0; l < 32; ++l) b.qh[l] = static_cast<uint8_t>(b.qh[l] | ((q[s][l] >> 4) << s));
}

// The symmetric k-quants (Q3_K, Q6_K): 16 sub-blocks of 16, y = d · sc_s · q.
// q_lo: the codes' most negative level, which each sub-block's largest value maps to.
void symmetric_sub_scales(const float* x, int q_lo, int sc_lo, int sc_hi, uint16_t& d16, int* sc) {
  float scale[16], max_scale = 0.0f;
  for (int s = 0; s < 16; ++s) {
    scale[s] = signed_max(x + 16 * s, 16) / static_cast<float>(q_lo);
    if (std::fabs(scale[s]) > std::fabs(max_scale)) max_scale = scale[s];
  }
  // The largest sub-scale becomes sc_lo (the most negative code) exactly, as for Q4_0.
  d16 = to_f16(max_scale / static_cast<float>(sc_lo));
  const float d = stored(d16);
  for (int s = 0; s < 16; ++s) sc[s] = level(scale[s], d, sc_lo, sc_hi);
}

void q3_k(const float* x, BlockQ3_K& b) {
  int sc[16];
  symmetric_sub_scales(x, -4, -32, 31, b.d, sc);
  std::memset(b.scales, 0, sizeof b.scales);
  std::memset(b.qs, 0, sizeof b.qs);
  std::memset(b.hmask, 0, sizeof b.hmask);
  const float d = stored(b.d);
  for (int s = 0; s < 16; ++s) {
    const int s6 = sc[s] + 32;
    if (s < 8) b.scales[s] = static_cast<uint8_t>(b.scales[s] | (s6 & 0xF));
    else b.scales[s - 8] = static_cast<uint8_t>(b.scales[s - 8] | ((s6 & 0xF) << 4));
    b.scales[8 + s % 4] = static_cast<uint8_t>(b.scales[8 + s % 4] | ((s6 >> 4) << (2 * (s / 4))));
    const float step = d * static_cast<float>(sc[s]);
    // As Q2_K: bytes (s / 8)·32 + (s % 2)·16 + l, bit pair 2·((s % 8) / 2); the code's third bit
    // (set: no -4) is bit (s / 8)·4 + (s % 8) / 2 of hmask[(s % 2)·16 + l].
    const int base = (s / 8) * 32 + (s % 2) * 16, shift = 2 * ((s % 8) / 2), hbit = (s / 8) * 4 + (s % 8) / 2;
    for (int l = 0; l < 16; ++l) {
      const int code = level(x[16 * s + l], step, -4, 3) + 4;
      b.qs[base + l] = static_cast<uint8_t>(b.qs[base + l] | ((code & 3) << shift));
      b.hmask[(s % 2) * 16 + l] = static_cast<uint8_t>(b.hmask[(s % 2) * 16 + l] | ((code >> 2) << hbit));
    }
  }
}

void q6_k(const float* x, BlockQ6_K& b) {
  int sc[16];
  symmetric_sub_scales(x, -32, -128, 127, b.d, sc);
  std::memset(b.ql, 0, sizeof b.ql);
  std::memset(b.qh, 0, sizeof b.qh);
  const float d = stored(b.d);
  for (int s = 0; s < 16; ++s) b.scales[s] = static_cast<int8_t>(sc[s]);
  // Element e = 128h + 32g + l (half h, group g of 32): scale (8h + 2g + l / 16), low nibble in
  // ql[64h + 32(g % 2) + l] (high nibble for g >= 2), two high bits 2g..2g+1 of qh[32h + l].
  for (int e = 0; e < kQK_K; ++e) {
    const int h = e / 128, g = (e % 128) / 32, l = e % 32, s = 8 * h + 2 * g + l / 16;
    const int code = level(x[e], d * static_cast<float>(sc[s]), -32, 31) + 32;
    uint8_t& lo = b.ql[64 * h + 32 * (g % 2) + l];
    lo = static_cast<uint8_t>(lo | ((code & 0xF) << (g >= 2 ? 4 : 0)));
    b.qh[32 * h + l] = static_cast<uint8_t>(b.qh[32 * h + l] | ((code >> 4) << (2 * g)));
  }
}

template <typename Block, void (*Encode)(const float*, Block&), int Elems>
void each_block(const float* x, int64_t nblocks, uint8_t* out) {
  Block b;
  for (int64_t i = 0; i < nblocks; ++i) {
    std::memset(&b, 0, sizeof b);
    Encode(x + i * Elems, b);
    std::memcpy(out + static_cast<size_t>(i) * sizeof(Block), &b, sizeof(Block));
  }
}

}  // namespace

void quantize_blocks(GgmlType t, const float* x, int64_t nblocks, uint8_t* out) {
  switch (t) {
    case GgmlType::Q8_0: return each_block<BlockQ8_0, q8_0, kQK>(x, nblocks, out);
    case GgmlType::Q4_0: return each_block<BlockQ4_0, q4_0, kQK>(x, nblocks, out);
    case GgmlType::Q4_1: return each_block<BlockQ4_1, q4_1, kQK>(x, nblocks, out);
    case GgmlType::Q5_0: return each_block<BlockQ5_0, q5_0, kQK>(x, nblocks, out);
    case GgmlType::Q5_1: return each_block<BlockQ5_1, q5_1, kQK>(x, nblocks, out);
    case GgmlType::Q2_K: return each_block<BlockQ2_K, q2_k, kQK_K>(x, nblocks, out);
    case GgmlType::Q3_K: return each_block<BlockQ3_K, q3_k, kQK_K>(x, nblocks, out);
    case GgmlType::Q4_K: return each_block<BlockQ4_K, q4_k, kQK_K>(x, nblocks, out);
    case GgmlType::Q5_K: return each_block<BlockQ5_K, q5_k, kQK_K>(x, nblocks, out);
    case GgmlType::Q6_K: return each_block<BlockQ6_K, q6_k, kQK_K>(x, nblocks, out);
    default: fail("quantize_blocks: ", ggml_type_info(t).name, " is not a block-quantized GGUF type");
  }
}

}  // namespace fluxgen::gguf
