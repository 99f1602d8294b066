#include "sampling/cephes_float_math.h"

// Every rounding step below is deliberate: the compiler must not fuse a separate multiply and add
// (GCC does so by default when the target has FMA), nor may it reorder anything.
#include "sampling/no_fp_contract.h"

#include <bit>
#include <cmath>
#include <cstdint>

namespace fluxgen::sampling {
namespace {

float from_bits(uint32_t u) { return std::bit_cast<float>(u); }
uint32_t to_bits(float f) { return std::bit_cast<uint32_t>(f); }

// Cephes logf coefficients as avx_mathfun.h spells them (rounded to float by the compiler).
constexpr float kSqrtHalf = 0.707106781186547524f;
constexpr float kLogP[9] = {7.0376836292E-2f,  -1.1514610310E-1f, 1.1676998740E-1f,
                            -1.2420140846E-1f, +1.4249322787E-1f, -1.6668057665E-1f,
                            +2.0000714765E-1f, -2.4999993993E-1f, +3.3333331174E-1f};
constexpr float kLogQ1 = -2.12194440e-4f;
constexpr float kLogQ2 = 0.693359375f;

// Cephes sinf/cosf: the 4/pi scaling, the three-part pi/4 (exact products for small multiples)
// and the two minimax polynomials.
constexpr float kFourOverPi = 1.27323954473516f;
constexpr float kMinusDP1 = -0.78515625f;
constexpr float kMinusDP2 = -2.4187564849853515625e-4f;
constexpr float kMinusDP3 = -3.77489497744594108e-8f;
constexpr float kSinP[3] = {-1.9515295891E-4f, 8.3321608736E-3f, -1.6666654611E-1f};
constexpr float kCosP[3] = {2.443315711809948E-005f, -1.388731625493765E-003f, 4.166664568298827E-002f};

}  // namespace

float cephes_logf(float x) {
  // Split x = m * 2^e with m in [0.5, 1): the exponent from the bits, the mantissa with the
  // exponent field replaced by that of 0.5.
  x = std::fmax(x, from_bits(0x00800000u));  // smallest normal: cuts off denormals
  const uint32_t bits = to_bits(x);
  float e = static_cast<float>(static_cast<int32_t>(bits >> 23) - 0x7f);
  e = e + 1.0f;
  x = from_bits((bits & ~0x7f800000u) | to_bits(0.5f));

  // Move m into [sqrt(1/2), sqrt(2)) - 1 around zero, adjusting e.
  const bool below = x < kSqrtHalf;
  const float tmp = below ? x : 0.0f;
  x = x - 1.0f;
  e = e - (below ? 1.0f : 0.0f);
  x = x + tmp;

  const float z = x * x;
  float y = kLogP[0];
  for (int i = 1; i < 9; ++i) y = std::fma(y, x, kLogP[i]);
  y = y * x;
  // GCC fuses y*z into the add of e*q1 (the product computed first is the one it fuses).
  y = std::fma(y, z, e * kLogQ1);
  // z*0.5 is exact, so whether this subtraction is fused does not matter.
  y = y - z * 0.5f;
  x = x + y;
  x = std::fma(e, kLogQ2, x);  // e*q2 is exact for any float exponent: fusing changes nothing
  return x;
}

void cephes_sincosf(float x_in, float* sin_out, float* cos_out) {
  uint32_t sign_sin = to_bits(x_in) & 0x80000000u;
  float x = std::fabs(x_in);

  // Octant j (rounded up to even) and the reduced argument x - j*pi/4.
  float y = x * kFourOverPi;
  int32_t j = static_cast<int32_t>(y);  // truncation, as _mm256_cvttps_epi32
  j = (j + 1) & ~1;
  y = static_cast<float>(j);
  const uint32_t swap_sign_sin = static_cast<uint32_t>(j & 4) << 29;
  const bool first_poly_is_cos = (j & 2) == 0;
  x = std::fma(y, kMinusDP1, x);
  x = std::fma(y, kMinusDP2, x);
  x = std::fma(y, kMinusDP3, x);
  const uint32_t sign_cos = static_cast<uint32_t>(~(j - 2) & 4) << 29;
  sign_sin ^= swap_sign_sin;

  const float z = x * x;
  // Cosine polynomial: 1 - z/2 + z^2 * P(z).
  float yc = kCosP[0];
  yc = std::fma(yc, z, kCosP[1]);
  yc = std::fma(yc, z, kCosP[2]);
  yc = yc * z;
  yc = std::fma(yc, z, -(z * 0.5f));
  yc = yc + 1.0f;
  // Sine polynomial: x + x * z * Q(z).
  float ys = kSinP[0];
  ys = std::fma(ys, z, kSinP[1]);
  ys = std::fma(ys, z, kSinP[2]);
  ys = ys * z;
  ys = std::fma(ys, x, x);

  const float s = first_poly_is_cos ? ys : yc;
  const float c = first_poly_is_cos ? yc : ys;
  *sin_out = from_bits(to_bits(s) ^ sign_sin);
  *cos_out = from_bits(to_bits(c) ^ sign_cos);
}

}  // namespace fluxgen::sampling
