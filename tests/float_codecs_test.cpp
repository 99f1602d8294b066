// The narrow float codecs (bf16, f16, float8_e4m3fn, float8_e5m2) against references derived here
// from the format definitions: every code decoded, every code round-tripped, every rounding
// midpoint between neighbouring codes, overflow as PyTorch converts, and the saturating mode.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <random>
#include <vector>

#include "tensor/convert.h"
#include "tensor/float_codecs.h"

namespace fluxgen {
namespace {

constexpr float kInf = std::numeric_limits<float>::infinity();

// A binary float layout: 1 sign bit, `exp_bits`, `mant_bits`; `ieee` = all-ones exponent is
// inf/NaN (f16, e5m2); otherwise (e4m3fn) only the all-ones code is NaN and the rest are finite.
struct Layout {
  int exp_bits, mant_bits, bias;
  bool ieee;
};
constexpr Layout kE4M3{4, 3, 7, false};
constexpr Layout kE5M2{5, 2, 15, true};
constexpr Layout kF16{5, 10, 15, true};

// Value of a code straight from the definition: (-1)^s · 2^(e-bias) · 1.m, or 2^(1-bias) · 0.m.
double reference_decode(uint32_t code, const Layout& f) {
  const int total = 1 + f.exp_bits + f.mant_bits;
  const bool neg = (code >> (total - 1)) & 1u;
  const uint32_t e = (code >> f.mant_bits) & ((1u << f.exp_bits) - 1);
  const uint32_t m = code & ((1u << f.mant_bits) - 1);
  const uint32_t e_max = (1u << f.exp_bits) - 1;
  double v;
  if (f.ieee && e == e_max) {
    v = m ? std::numeric_limits<double>::quiet_NaN() : std::numeric_limits<double>::infinity();
  } else if (!f.ieee && e == e_max && m == (1u << f.mant_bits) - 1) {
    v = std::numeric_limits<double>::quiet_NaN();
  } else if (e == 0) {
    v = std::ldexp(static_cast<double>(m) / (1 << f.mant_bits), 1 - f.bias);
  } else {
    v = std::ldexp(1.0 + static_cast<double>(m) / (1 << f.mant_bits), static_cast<int>(e) - f.bias);
  }
  return neg ? -v : v;
}

bool same_float(float a, double b) {
  if (std::isnan(b)) return std::isnan(a);
  return a == static_cast<float>(b) && std::signbit(a) == std::signbit(b);
}

// Nearest representable value by brute force over all codes (ties to the even code); the
// largest finite magnitude is followed by a virtual code one step beyond it, which is where
// overflowing values round to. Returns the code, or `overflow_code` when the virtual one wins.
uint32_t reference_encode(float x, const Layout& f, const std::vector<double>& positive_values, uint32_t overflow_code) {
  const int total = 1 + f.exp_bits + f.mant_bits;
  const uint32_t sign = std::signbit(x) ? 1u << (total - 1) : 0u;
  const double a = std::fabs(static_cast<double>(x));
  // positive_values[i] = value of code i, ascending; the last entry is the virtual overflow step.
  size_t best = 0;
  double best_d = std::fabs(a - positive_values[0]);
  for (size_t i = 1; i < positive_values.size(); ++i) {
    const double d = std::fabs(a - positive_values[i]);
    if (d < best_d || (d == best_d && (i % 2 == 0))) {
      best = i;
      best_d = d;
    }
  }
  if (best == positive_values.size() - 1) return sign | overflow_code;
  return sign | static_cast<uint32_t>(best);
}

// Codes 0..max_code (ascending positive values) plus the virtual next step after max.
std::vector<double> positive_ladder(const Layout& f, uint32_t max_code) {
  std::vector<double> v;
  for (uint32_t c = 0; c <= max_code; ++c) v.push_back(reference_decode(c, f));
  const double step = v[max_code] - v[max_code - 1];
  v.push_back(v[max_code] + step);
  return v;
}

// --------------------------------------------------------------------------------------------
// float8_e4m3fn

TEST(FloatCodecsE4M3, DecodesEveryCodeAsTheFormatDefines) {
  std::vector<uint8_t> all(256);
  for (int c = 0; c < 256; ++c) all[c] = static_cast<uint8_t>(c);
  std::vector<float> bulk(256);
  decode_e4m3fn(all.data(), bulk.data(), all.size());
  for (int c = 0; c < 256; ++c) {
    const double want = reference_decode(static_cast<uint32_t>(c), kE4M3);
    EXPECT_TRUE(same_float(e4m3fn_to_f32(static_cast<uint8_t>(c)), want)) << "code " << c;
    EXPECT_TRUE(same_float(bulk[c], want)) << "code " << c;
  }
  EXPECT_EQ(e4m3fn_to_f32(0x7E), 448.0f);
  EXPECT_EQ(e4m3fn_to_f32(0xFE), -448.0f);
  EXPECT_EQ(e4m3fn_to_f32(0x01), std::ldexp(1.0f, -9));  // smallest subnormal
  EXPECT_EQ(e4m3fn_to_f32(0x08), std::ldexp(1.0f, -6));  // smallest normal
  EXPECT_EQ(e4m3fn_to_f32(0x38), 1.0f);
  EXPECT_TRUE(std::isnan(e4m3fn_to_f32(0x7F)));
  EXPECT_TRUE(std::isnan(e4m3fn_to_f32(0xFF)));
  EXPECT_TRUE(std::signbit(e4m3fn_to_f32(0x80)));
  // No infinity anywhere in the format.
  for (int c = 0; c < 256; ++c) EXPECT_FALSE(std::isinf(e4m3fn_to_f32(static_cast<uint8_t>(c))));
}

TEST(FloatCodecsE4M3, EveryCodeRoundTrips) {
  for (int c = 0; c < 256; ++c) {
    const float v = e4m3fn_to_f32(static_cast<uint8_t>(c));
    if (std::isnan(v)) continue;
    EXPECT_EQ(f32_to_e4m3fn(v, Overflow::Torch), c) << "code " << c << " value " << v;
    EXPECT_EQ(f32_to_e4m3fn(v, Overflow::Saturate), c) << "code " << c << " value " << v;
  }
  EXPECT_EQ(f32_to_e4m3fn(0.0f), 0x00);
  EXPECT_EQ(f32_to_e4m3fn(-0.0f), 0x80);
}

TEST(FloatCodecsE4M3, MidpointsRoundToEven) {
  int checked = 0;
  for (uint32_t c = 0; c < 0x7E; ++c) {
    const float lo = e4m3fn_to_f32(static_cast<uint8_t>(c)), hi = e4m3fn_to_f32(static_cast<uint8_t>(c + 1));
    const float mid = (lo + hi) / 2;  // exact: codes have 4 significant bits
    ASSERT_EQ(static_cast<double>(mid), (static_cast<double>(lo) + hi) / 2);
    const uint32_t even = (c % 2 == 0) ? c : c + 1;
    EXPECT_EQ(f32_to_e4m3fn(mid), even) << "midpoint " << mid;
    EXPECT_EQ(f32_to_e4m3fn(-mid), 0x80 | even) << "midpoint " << -mid;
    EXPECT_EQ(f32_to_e4m3fn(std::nextafter(mid, 0.0f)), c) << "below midpoint " << mid;
    EXPECT_EQ(f32_to_e4m3fn(std::nextafter(mid, kInf)), c + 1) << "above midpoint " << mid;
    ++checked;
  }
  EXPECT_EQ(checked, 126);
  // Half the smallest subnormal ties to zero; anything above rounds up to it.
  EXPECT_EQ(f32_to_e4m3fn(std::ldexp(1.0f, -10)), 0x00);
  EXPECT_EQ(f32_to_e4m3fn(std::nextafter(std::ldexp(1.0f, -10), kInf)), 0x01);
  EXPECT_EQ(f32_to_e4m3fn(-std::ldexp(1.0f, -10)), 0x80);
  EXPECT_EQ(f32_to_e4m3fn(1e-30f), 0x00);
  EXPECT_EQ(f32_to_e4m3fn(std::numeric_limits<float>::denorm_min()), 0x00);
  EXPECT_EQ(f32_to_e4m3fn(-std::numeric_limits<float>::denorm_min()), 0x80);
}

TEST(FloatCodecsE4M3, OverflowIsNaNLikePyTorchOrSaturates) {
  // 464 is halfway between 448 (even code 0x7E) and the NaN code's would-be 480: ties to 448.
  EXPECT_EQ(f32_to_e4m3fn(464.0f, Overflow::Torch), 0x7E);
  EXPECT_EQ(f32_to_e4m3fn(-464.0f, Overflow::Torch), 0xFE);
  EXPECT_EQ(f32_to_e4m3fn(std::nextafter(464.0f, kInf), Overflow::Torch), 0x7F);
  EXPECT_EQ(f32_to_e4m3fn(-std::nextafter(464.0f, kInf), Overflow::Torch), 0xFF);
  for (float big : {480.0f, 500.0f, 1e6f, 3.4e38f, kInf}) {
    EXPECT_TRUE(std::isnan(e4m3fn_to_f32(f32_to_e4m3fn(big, Overflow::Torch)))) << big;
    EXPECT_EQ(f32_to_e4m3fn(big, Overflow::Torch), 0x7F) << big;
    EXPECT_EQ(f32_to_e4m3fn(-big, Overflow::Torch), 0xFF) << big;
    EXPECT_EQ(f32_to_e4m3fn(big, Overflow::Saturate), 0x7E) << big;
    EXPECT_EQ(f32_to_e4m3fn(-big, Overflow::Saturate), 0xFE) << big;
  }
  EXPECT_EQ(f32_to_e4m3fn(464.0f, Overflow::Saturate), 0x7E);
  EXPECT_EQ(f32_to_e4m3fn(465.0f, Overflow::Saturate), 0x7E);
  // NaN stays NaN in both modes (saturation is for finite overflow only), sign kept.
  const float nan = std::numeric_limits<float>::quiet_NaN();
  for (Overflow o : {Overflow::Torch, Overflow::Saturate}) {
    EXPECT_EQ(f32_to_e4m3fn(nan, o), 0x7F);
    EXPECT_EQ(f32_to_e4m3fn(-nan, o), 0xFF);
  }
}

TEST(FloatCodecsE4M3, EncoderAgreesWithBruteForceNearest) {
  const auto ladder = positive_ladder(kE4M3, 0x7E);
  std::mt19937 rng(7);
  std::uniform_real_distribution<float> mag(-14.0f, 9.5f);
  for (int i = 0; i < 200000; ++i) {
    const float x = std::exp2(mag(rng)) * (i % 2 ? -1.0f : 1.0f);
    EXPECT_EQ(f32_to_e4m3fn(x, Overflow::Torch), reference_encode(x, kE4M3, ladder, 0x7F)) << x;
    const uint32_t sat = reference_encode(x, kE4M3, ladder, 0x7E);
    ASSERT_EQ(f32_to_e4m3fn(x, Overflow::Saturate), sat) << x;
  }
}

// --------------------------------------------------------------------------------------------
// float8_e5m2

TEST(FloatCodecsE5M2, DecodesEveryCodeAsTheFormatDefines) {
  std::vector<uint8_t> all(256);
  for (int c = 0; c < 256; ++c) all[c] = static_cast<uint8_t>(c);
  std::vector<float> bulk(256);
  decode_e5m2(all.data(), bulk.data(), all.size());
  for (int c = 0; c < 256; ++c) {
    const double want = reference_decode(static_cast<uint32_t>(c), kE5M2);
    EXPECT_TRUE(same_float(e5m2_to_f32(static_cast<uint8_t>(c)), want)) << "code " << c;
    EXPECT_TRUE(same_float(bulk[c], want)) << "code " << c;
  }
  EXPECT_EQ(e5m2_to_f32(0x7B), 57344.0f);
  EXPECT_EQ(e5m2_to_f32(0x7C), kInf);
  EXPECT_EQ(e5m2_to_f32(0xFC), -kInf);
  for (int c : {0x7D, 0x7E, 0x7F, 0xFD, 0xFE, 0xFF}) EXPECT_TRUE(std::isnan(e5m2_to_f32(static_cast<uint8_t>(c))));
  EXPECT_EQ(e5m2_to_f32(0x01), std::ldexp(1.0f, -16));
  EXPECT_EQ(e5m2_to_f32(0x04), std::ldexp(1.0f, -14));
  EXPECT_EQ(e5m2_to_f32(0x3C), 1.0f);
}

TEST(FloatCodecsE5M2, EveryCodeRoundTrips) {
  for (int c = 0; c < 256; ++c) {
    const float v = e5m2_to_f32(static_cast<uint8_t>(c));
    if (std::isnan(v)) continue;
    EXPECT_EQ(f32_to_e5m2(v, Overflow::Torch), c) << "code " << c;
    if (!std::isinf(v)) {
      EXPECT_EQ(f32_to_e5m2(v, Overflow::Saturate), c) << "code " << c;
    }
  }
  EXPECT_EQ(f32_to_e5m2(-0.0f), 0x80);
}

TEST(FloatCodecsE5M2, MidpointsRoundToEven) {
  for (uint32_t c = 0; c < 0x7B; ++c) {
    const float lo = e5m2_to_f32(static_cast<uint8_t>(c)), hi = e5m2_to_f32(static_cast<uint8_t>(c + 1));
    const float mid = (lo + hi) / 2;
    const uint32_t even = (c % 2 == 0) ? c : c + 1;
    EXPECT_EQ(f32_to_e5m2(mid), even) << "midpoint " << mid;
    EXPECT_EQ(f32_to_e5m2(-mid), 0x80 | even) << "midpoint " << -mid;
    EXPECT_EQ(f32_to_e5m2(std::nextafter(mid, 0.0f)), c) << "below midpoint " << mid;
    EXPECT_EQ(f32_to_e5m2(std::nextafter(mid, kInf)), c + 1) << "above midpoint " << mid;
  }
  EXPECT_EQ(f32_to_e5m2(std::ldexp(1.0f, -17)), 0x00);
  EXPECT_EQ(f32_to_e5m2(std::nextafter(std::ldexp(1.0f, -17), kInf)), 0x01);
}

TEST(FloatCodecsE5M2, OverflowIsInfinityLikePyTorchOrSaturates) {
  // 61440 is halfway between 57344 (odd code 0x7B) and 65536: ties to even, which is infinity.
  EXPECT_EQ(f32_to_e5m2(61440.0f, Overflow::Torch), 0x7C);
  EXPECT_EQ(f32_to_e5m2(std::nextafter(61440.0f, 0.0f), Overflow::Torch), 0x7B);
  EXPECT_EQ(f32_to_e5m2(-61440.0f, Overflow::Torch), 0xFC);
  for (float big : {65536.0f, 1e6f, 3.4e38f, kInf}) {
    EXPECT_EQ(f32_to_e5m2(big, Overflow::Torch), 0x7C) << big;
    EXPECT_EQ(f32_to_e5m2(-big, Overflow::Torch), 0xFC) << big;
    EXPECT_EQ(f32_to_e5m2(big, Overflow::Saturate), 0x7B) << big;
    EXPECT_EQ(f32_to_e5m2(-big, Overflow::Saturate), 0xFB) << big;
  }
  const float nan = std::numeric_limits<float>::quiet_NaN();
  EXPECT_TRUE(std::isnan(e5m2_to_f32(f32_to_e5m2(nan))));
  EXPECT_TRUE(std::isnan(e5m2_to_f32(f32_to_e5m2(nan, Overflow::Saturate))));
  EXPECT_EQ(f32_to_e5m2(-nan) & 0x80, 0x80);
}

TEST(FloatCodecsE5M2, EncoderAgreesWithBruteForceNearest) {
  const auto ladder = positive_ladder(kE5M2, 0x7B);
  std::mt19937 rng(11);
  std::uniform_real_distribution<float> mag(-18.0f, 16.5f);
  for (int i = 0; i < 200000; ++i) {
    const float x = std::exp2(mag(rng)) * (i % 2 ? -1.0f : 1.0f);
    ASSERT_EQ(f32_to_e5m2(x, Overflow::Torch), reference_encode(x, kE5M2, ladder, 0x7C)) << x;
    ASSERT_EQ(f32_to_e5m2(x, Overflow::Saturate), reference_encode(x, kE5M2, ladder, 0x7B)) << x;
  }
}

// --------------------------------------------------------------------------------------------
// float16

TEST(FloatCodecsF16, EveryCodeDecodesAndRoundTrips) {
  std::vector<uint16_t> all(65536);
  for (uint32_t c = 0; c < 65536; ++c) all[c] = static_cast<uint16_t>(c);
  std::vector<float> bulk(65536);
  decode_f16(all.data(), bulk.data(), all.size());
  int nans = 0;
  for (uint32_t c = 0; c < 65536; ++c) {
    const double want = reference_decode(c, kF16);
    const float v = f16_to_f32(static_cast<uint16_t>(c));
    ASSERT_TRUE(same_float(v, want)) << "code " << c;
    ASSERT_TRUE(same_float(bulk[c], want)) << "code " << c;
    if (std::isnan(v)) {
      ++nans;
      EXPECT_TRUE(std::isnan(f16_to_f32(f32_to_f16(v))));
      continue;
    }
    ASSERT_EQ(f32_to_f16(v), c) << "code " << c;
  }
  EXPECT_EQ(nans, 2 * 1023);
  EXPECT_EQ(f16_to_f32(0x7BFF), 65504.0f);
  EXPECT_EQ(f16_to_f32(0x0001), std::ldexp(1.0f, -24));
}

TEST(FloatCodecsF16, MidpointsRoundToEvenAndOverflowToInfinity) {
  for (uint32_t c = 0; c < 0x7BFF; ++c) {
    const float lo = f16_to_f32(static_cast<uint16_t>(c)), hi = f16_to_f32(static_cast<uint16_t>(c + 1));
    const float mid = (lo + hi) / 2;
    const uint32_t even = (c % 2 == 0) ? c : c + 1;
    ASSERT_EQ(f32_to_f16(mid), even) << "midpoint " << mid;
    ASSERT_EQ(f32_to_f16(-mid), 0x8000 | even) << "midpoint " << -mid;
    ASSERT_EQ(f32_to_f16(std::nextafter(mid, 0.0f)), c) << "below midpoint " << mid;
    ASSERT_EQ(f32_to_f16(std::nextafter(mid, kInf)), c + 1) << "above midpoint " << mid;
  }
  EXPECT_EQ(f32_to_f16(65520.0f), 0x7C00);  // halfway to 65536: ties to even = infinity
  EXPECT_EQ(f32_to_f16(std::nextafter(65520.0f, 0.0f)), 0x7BFF);
  EXPECT_EQ(f32_to_f16(-65520.0f), 0xFC00);
  EXPECT_EQ(f32_to_f16(1e10f), 0x7C00);
  EXPECT_EQ(f32_to_f16(kInf), 0x7C00);
  EXPECT_EQ(f32_to_f16(-kInf), 0xFC00);
  EXPECT_EQ(f32_to_f16(std::ldexp(1.0f, -25)), 0x0000);  // half the smallest subnormal
  EXPECT_EQ(f32_to_f16(std::nextafter(std::ldexp(1.0f, -25), kInf)), 0x0001);
  const uint16_t nan = f32_to_f16(std::numeric_limits<float>::quiet_NaN());
  EXPECT_EQ(nan & 0x7C00, 0x7C00);
  EXPECT_NE(nan & 0x03FF, 0);
}

#if defined(__FLT16_MAX__) && defined(__x86_64__)
// The compiler's own _Float16 conversion (IEEE round to nearest even) as a second oracle.
TEST(FloatCodecsF16, AgreesWithCompilerFloat16Conversion) {
  std::mt19937 rng(3);
  std::uniform_int_distribution<uint32_t> bits;
  for (int i = 0; i < 500000; ++i) {
    uint32_t u = bits(rng);
    // Concentrate on the f16 range (exponents 100..145) half of the time.
    if (i % 2) u = (u & 0x807fffffu) | ((100u + u % 46u) << 23);
    const float f = f32_from_bits(u);
    if (std::isnan(f)) continue;
    const _Float16 h = static_cast<_Float16>(f);
    uint16_t hb;
    std::memcpy(&hb, &h, 2);
    ASSERT_EQ(f32_to_f16(f), hb) << f;
  }
}
#endif

// --------------------------------------------------------------------------------------------
// bfloat16

// RNE to bf16 derived independently: compare the distances to the two neighbouring bf16 values.
uint16_t reference_bf16(float f) {
  const uint32_t u = f32_bits(f);
  const uint32_t lo_bits = u & 0xFFFF0000u;
  const double lo = f32_from_bits(lo_bits);
  // The next magnitude; past the largest finite bf16 that is infinity, which rounding treats as
  // the unbounded-exponent value 2^128.
  const float hi_f = f32_from_bits(lo_bits + 0x10000u);
  const double hi = std::isinf(hi_f) ? std::copysign(std::ldexp(1.0, 128), hi_f) : hi_f;
  const double dlo = std::fabs(static_cast<double>(f) - lo), dhi = std::fabs(hi - f);
  const uint16_t lo_code = static_cast<uint16_t>(lo_bits >> 16);
  if (dlo < dhi) return lo_code;
  if (dhi < dlo) return static_cast<uint16_t>(lo_code + 1);
  return (lo_code & 1) ? static_cast<uint16_t>(lo_code + 1) : lo_code;
}

TEST(FloatCodecsBF16, EveryCodeRoundTripsAndRandomValuesRoundToNearestEven) {
  for (uint32_t c = 0; c < 65536; ++c) {
    const float v = bf16_to_f32(static_cast<uint16_t>(c));
    ASSERT_EQ(f32_bits(v), c << 16);
    if (std::isnan(v)) {
      ASSERT_TRUE(std::isnan(bf16_to_f32(f32_to_bf16(v)))) << c;
      continue;
    }
    ASSERT_EQ(f32_to_bf16(v), c);
  }
  std::mt19937 rng(5);
  std::uniform_int_distribution<uint32_t> bits;
  for (int i = 0; i < 1000000; ++i) {
    const float f = f32_from_bits(bits(rng));
    if (std::isnan(f) || std::isinf(f)) continue;
    ASSERT_EQ(f32_to_bf16(f), reference_bf16(f)) << f;
  }
  std::vector<uint16_t> codes = {0x3F80, 0x4049, 0xC2F7, 0x0001, 0x7F7F};
  std::vector<float> out(codes.size());
  decode_bf16(codes.data(), out.data(), codes.size());
  for (size_t i = 0; i < codes.size(); ++i) EXPECT_EQ(out[i], bf16_to_f32(codes[i]));
}

TEST(FloatCodecsBF16, TiesOverflowAndNaN) {
  // 1 + 2^-8 is halfway between 1 (even) and 1 + 2^-7: stays 1; 1 + 3·2^-8 goes up to 1 + 2^-6.
  EXPECT_EQ(f32_to_bf16(1.0f + std::ldexp(1.0f, -8)), 0x3F80);
  EXPECT_EQ(f32_to_bf16(1.0f + 3 * std::ldexp(1.0f, -8)), 0x3F82);
  EXPECT_EQ(f32_to_bf16(std::nextafter(1.0f + std::ldexp(1.0f, -8), kInf)), 0x3F81);
  // The largest float rounds up past bf16's largest finite value to infinity, as in PyTorch.
  EXPECT_EQ(f32_to_bf16(std::numeric_limits<float>::max()), 0x7F80);
  EXPECT_EQ(f32_to_bf16(kInf), 0x7F80);
  EXPECT_EQ(f32_to_bf16(-kInf), 0xFF80);
  // A NaN whose payload lives only in the low 16 bits must not truncate to infinity.
  const float low_payload_nan = f32_from_bits(0x7F800001u);
  ASSERT_TRUE(std::isnan(low_payload_nan));
  EXPECT_TRUE(std::isnan(bf16_to_f32(f32_to_bf16(low_payload_nan))));
  EXPECT_TRUE(std::isnan(bf16_to_f32(f32_to_bf16(std::numeric_limits<float>::quiet_NaN()))));
}

// --------------------------------------------------------------------------------------------
// Tensor conversions use the same codecs, element by element.

TEST(FloatCodecsConvert, TensorConversionsMatchScalarCodecs) {
  std::vector<float> v = {0.0f, -0.0f, 1.0f, -2.5f, 464.0f, 465.0f, 1000.0f, -1e6f, 61440.0f, 70000.0f, 1e-9f, 3.14159f};
  const Tensor t = Tensor::from_vector({3, 4}, v);
  const Tensor e4_torch = convert(t, DType::F8_E4M3, Overflow::Torch);
  const Tensor e4_sat = convert(t, DType::F8_E4M3, Overflow::Saturate);
  const Tensor e5 = convert(t, DType::F8_E5M2);
  const Tensor h = convert(t, DType::F16);
  const Tensor b = convert(t, DType::BF16);
  ASSERT_EQ(e4_torch.shape(), t.shape());
  for (size_t i = 0; i < v.size(); ++i) {
    EXPECT_EQ(e4_torch.data<uint8_t>()[i], f32_to_e4m3fn(v[i], Overflow::Torch));
    EXPECT_EQ(e4_sat.data<uint8_t>()[i], f32_to_e4m3fn(v[i], Overflow::Saturate));
    EXPECT_EQ(e5.data<uint8_t>()[i], f32_to_e5m2(v[i]));
    EXPECT_EQ(h.data<uint16_t>()[i], f32_to_f16(v[i]));
    EXPECT_EQ(b.data<uint16_t>()[i], f32_to_bf16(v[i]));
  }
  const std::vector<float> back = to_vector(e4_sat);
  EXPECT_EQ(back[6], 448.0f);
  EXPECT_EQ(back[7], -448.0f);
  EXPECT_TRUE(std::isnan(to_vector(e4_torch)[6]));
  EXPECT_EQ(to_vector(e5)[9], kInf);
}

}  // namespace
}  // namespace fluxgen
