// Exact conversions between fp32 and the narrow float formats, bit-compatible with PyTorch's
// (round to nearest, ties to even). Decoding is exact for every code.
#pragma once
#include <cstddef>
#include <cstdint>
#include <cstring>

namespace fluxgen {

inline uint32_t f32_bits(float f) {
  uint32_t u;
  std::memcpy(&u, &f, 4);
  return u;
}
inline float f32_from_bits(uint32_t u) {
  float f;
  std::memcpy(&f, &u, 4);
  return f;
}

// bfloat16: the top half of an fp32, rounded to nearest even; NaN stays a quiet NaN.
inline uint16_t f32_to_bf16(float f) {
  uint32_t u = f32_bits(f);
  if ((u & 0x7fffffffu) > 0x7f800000u) return static_cast<uint16_t>((u >> 16) | 0x0040u);
  u += 0x7fffu + ((u >> 16) & 1u);
  return static_cast<uint16_t>(u >> 16);
}
inline float bf16_to_f32(uint16_t h) { return f32_from_bits(static_cast<uint32_t>(h) << 16); }

// What a conversion does with a finite value beyond the format's largest one.
enum class Overflow {
  Torch,     // as PyTorch: inf where the format has it (f16, e5m2), NaN for e4m3fn
  Saturate,  // clamp to ±max (fluxgen's weight quantizer for e4m3fn)
};

uint16_t f32_to_f16(float f);
float f16_to_f32(uint16_t h);

// float8_e4m3fn: bias 7, no infinity, NaN = S.1111.111, largest finite 448.
uint8_t f32_to_e4m3fn(float f, Overflow overflow = Overflow::Torch);
float e4m3fn_to_f32(uint8_t code);
// float8_e5m2: bias 15, IEEE-like with inf, largest finite 57344.
uint8_t f32_to_e5m2(float f, Overflow overflow = Overflow::Torch);
float e5m2_to_f32(uint8_t code);

// Bulk decoders, table-driven (hot path of dequantization).
void decode_f16(const uint16_t* in, float* out, size_t n);
void decode_bf16(const uint16_t* in, float* out, size_t n);
void decode_e4m3fn(const uint8_t* in, float* out, size_t n);
void decode_e5m2(const uint8_t* in, float* out, size_t n);

}  // namespace fluxgen
