#include "tensor/float_codecs.h"

#include <array>
#include <cmath>
#include <limits>

namespace fluxgen {

namespace {

// A binary float format with an implicit leading bit: `mant` fraction bits, exponent `bias`,
// `max_code` = the largest finite magnitude's code; `has_inf` says whether all-ones exponent with a
// zero fraction is infinity (f16, e5m2) or a finite value (e4m3fn, where only S.1111.111 is NaN).
struct NarrowFormat {
  int mant;
  int bias;
  uint32_t max_code;
  uint32_t inf_code;  // unused when !has_inf
  uint32_t nan_code;
  bool has_inf;
  int total_bits;
};

constexpr NarrowFormat kF16{10, 15, 0x7BFF, 0x7C00, 0x7E00, true, 16};
constexpr NarrowFormat kE4M3FN{3, 7, 0x7E, 0, 0x7F, false, 8};
constexpr NarrowFormat kE5M2{2, 15, 0x7B, 0x7C, 0x7F, true, 8};

// Rounds |f| (as fp32 bits) to the format with round-to-nearest-even, handling the format's
// subnormals, and returns the magnitude code (may exceed max_code on overflow).
uint32_t round_magnitude(uint32_t abs_bits, const NarrowFormat& fmt) {
  const int exp32 = static_cast<int>(abs_bits >> 23);
  if (exp32 == 0) return 0;  // fp32 zero or subnormal: far below every target's smallest subnormal
  const uint32_t full = (1u << 23) | (abs_bits & 0x7fffffu);  // 24-bit significand
  const int target_exp = exp32 - 127 + fmt.bias;              // biased exponent in the target
  int shift = 23 - fmt.mant;
  if (target_exp < 1) shift += 1 - target_exp;  // subnormal in the target: fewer significant bits
  if (shift >= 25) return 0;                     // below half the smallest subnormal
  uint32_t kept = full >> shift;
  const uint32_t rem = full & ((1u << shift) - 1u);
  const uint32_t half = 1u << (shift - 1);
  if (rem > half || (rem == half && (kept & 1u))) ++kept;
  if (target_exp < 1) return kept;  // subnormal code (a carry lands on the smallest normal)
  // Normal: the implicit bit is part of `kept`; a rounding carry moves into the exponent.
  return (static_cast<uint32_t>(target_exp) << fmt.mant) + kept - (1u << fmt.mant);
}

uint32_t encode(float f, const NarrowFormat& fmt, Overflow overflow) {
  const uint32_t bits = f32_bits(f);
  const uint32_t sign = (bits >> 31) << (fmt.total_bits - 1);
  const uint32_t abs_bits = bits & 0x7fffffffu;
  if (abs_bits > 0x7f800000u) return sign | fmt.nan_code;
  uint32_t code;
  if (abs_bits == 0x7f800000u) {
    code = fmt.max_code + 1;  // infinity is an overflow
  } else {
    code = round_magnitude(abs_bits, fmt);
  }
  if (code > fmt.max_code) {
    if (overflow == Overflow::Saturate) return sign | fmt.max_code;
    return sign | (fmt.has_inf ? fmt.inf_code : fmt.nan_code);
  }
  return sign | code;
}

float decode(uint32_t code, const NarrowFormat& fmt) {
  const uint32_t sign_bit = 1u << (fmt.total_bits - 1);
  const bool neg = code & sign_bit;
  const uint32_t mag = code & (sign_bit - 1);
  const int exp_bits = fmt.total_bits - 1 - fmt.mant;
  const uint32_t exp = mag >> fmt.mant;
  const uint32_t frac = mag & ((1u << fmt.mant) - 1);
  const uint32_t exp_all_ones = (1u << exp_bits) - 1;
  float v;
  if (fmt.has_inf && exp == exp_all_ones) {
    v = frac ? std::numeric_limits<float>::quiet_NaN() : std::numeric_limits<float>::infinity();
  } else if (!fmt.has_inf && mag == fmt.nan_code) {
    v = std::numeric_limits<float>::quiet_NaN();
  } else if (exp == 0) {
    v = std::ldexp(static_cast<float>(frac), 1 - fmt.bias - fmt.mant);
  } else {
    v = std::ldexp(static_cast<float>(frac | (1u << fmt.mant)), static_cast<int>(exp) - fmt.bias - fmt.mant);
  }
  return neg ? -v : v;
}

template <size_t N>
std::array<float, N> make_table(const NarrowFormat& fmt) {
  std::array<float, N> t{};
  for (size_t i = 0; i < N; ++i) t[i] = decode(static_cast<uint32_t>(i), fmt);
  return t;
}

const std::array<float, 256>& e4m3_table() {
  static const auto t = make_table<256>(kE4M3FN);
  return t;
}
const std::array<float, 256>& e5m2_table() {
  static const auto t = make_table<256>(kE5M2);
  return t;
}
const std::array<float, 65536>& f16_table() {
  static const auto t = make_table<65536>(kF16);
  return t;
}

}  // namespace

uint16_t f32_to_f16(float f) { return static_cast<uint16_t>(encode(f, kF16, Overflow::Torch)); }
float f16_to_f32(uint16_t h) { return f16_table()[h]; }

uint8_t f32_to_e4m3fn(float f, Overflow overflow) { return static_cast<uint8_t>(encode(f, kE4M3FN, overflow)); }
float e4m3fn_to_f32(uint8_t code) { return e4m3_table()[code]; }

uint8_t f32_to_e5m2(float f, Overflow overflow) { return static_cast<uint8_t>(encode(f, kE5M2, overflow)); }
float e5m2_to_f32(uint8_t code) { return e5m2_table()[code]; }

void decode_f16(const uint16_t* in, float* out, size_t n) {
  const float* t = f16_table().data();
  for (size_t i = 0; i < n; ++i) out[i] = t[in[i]];
}
void decode_bf16(const uint16_t* in, float* out, size_t n) {
  for (size_t i = 0; i < n; ++i) out[i] = f32_from_bits(static_cast<uint32_t>(in[i]) << 16);
}
void decode_e4m3fn(const uint8_t* in, float* out, size_t n) {
  const float* t = e4m3_table().data();
  for (size_t i = 0; i < n; ++i) out[i] = t[in[i]];
}
void decode_e5m2(const uint8_t* in, float* out, size_t n) {
  const float* t = e5m2_table().data();
  for (size_t i = 0; i < n; ++i) out[i] = t[in[i]];
}

}  // namespace fluxgen
