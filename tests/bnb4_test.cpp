// bitsandbytes NF4/FP4: the code tables, the decision thresholds of bnb's CUDA kernels
// (csrc/kernels.cu dQuantizeNF4 / dQuantizeFP4, transcribed here as data), nibble order, blocks of
// 64 over the flattened tensor, absmax, zero/NaN blocks and the double-quantized absmax.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <random>
#include <vector>

#include "tensor/bnb4.h"
#include "tensor/convert.h"
#include "util/error.h"

namespace fluxgen {
namespace {

constexpr float kInf = std::numeric_limits<float>::infinity();

// REFERENCE.md / bitsandbytes functional.get_4bit_type("nf4").
const std::vector<float> kNF4Values = {
    -1.0f, -0.6961928009986877f, -0.5250730514526367f, -0.39491748809814453f,
    -0.28444138169288635f, -0.18477343022823334f, -0.09105003625154495f, 0.0f,
    0.07958029955625534f, 0.16093020141124725f, 0.24611230194568634f, 0.33791524171829224f,
    0.44070982933044434f, 0.5626170039176941f, 0.7229568362236023f, 1.0f};
// get_4bit_type("fp4"): e2m1 magnitudes by code, normalised by the largest (12).
const std::vector<float> kFP4Raw = {0, 0.0625f, 8, 12, 4, 6, 2, 3, -0.0f, -0.0625f, -8, -12, -4, -6, -2, -3};

// The pivots of bnb's decision trees, ascending, with the code below and above each.
struct Pivot {
  float threshold;
  uint8_t below, above;
};
const std::vector<Pivot> kNF4Pivots = {
    {-0.8480964004993439f, 0, 1},   {-0.6106329262256622f, 1, 2},   {-0.4599952697753906f, 2, 3},
    {-0.33967943489551544f, 3, 4},  {-0.23460740596055984f, 4, 5},  {-0.13791173323988914f, 5, 6},
    {-0.045525018125772476f, 6, 7}, {0.03979014977812767f, 7, 8},   {0.1202552504837513f, 8, 9},
    {0.2035212516784668f, 9, 10},   {0.2920137718319893f, 10, 11},  {0.3893125355243683f, 11, 12},
    {0.5016634166240692f, 12, 13},  {0.6427869200706482f, 13, 14},  {0.8614784181118011f, 14, 15}};
// FP4 compares |x|: codes by magnitude 0 (0), 1 (0.0625), 6 (2), 7 (3), 4 (4), 5 (6), 2 (8), 3 (12).
const std::vector<Pivot> kFP4Pivots = {{0.00260417f, 0, 1}, {0.0859375f, 1, 6},  {0.20833333f, 6, 7},
                                       {0.29166667f, 7, 4}, {0.4166667f, 4, 5},  {0.583333f, 5, 2},
                                       {0.8333333f, 2, 3}};

// Reference quantizer per the trees: NF4 = number of pivots strictly below x; FP4 = the same on
// |x| with the sign in bit 3. NaN compares false everywhere, landing on code 0.
uint8_t reference_code(DType format, float x) {
  if (format == DType::NF4) {
    uint8_t c = 0;
    for (const auto& p : kNF4Pivots)
      if (x > p.threshold) c = p.above;
    return c;
  }
  uint8_t c = 0;
  const float m = std::fabs(x);
  for (const auto& p : kFP4Pivots)
    if (m > p.threshold) c = p.above;
  return static_cast<uint8_t>(c | (x < 0 ? 0x8 : 0));
}

struct Quantized {
  std::vector<uint8_t> packed;
  std::vector<float> absmax;
};

Quantized quantize(DType format, const std::vector<float>& x, int block = 64) {
  Quantized q;
  q.packed.assign((x.size() + 1) / 2, 0xEE);
  q.absmax.assign((x.size() + block - 1) / block, -1.0f);
  bnb::quantize(format, x.data(), x.size(), block, q.packed.data(), q.absmax.data());
  return q;
}

std::vector<float> dequantize(DType format, const Quantized& q, size_t n, int block = 64) {
  std::vector<float> out(n);
  bnb::dequantize_range(format, q.packed.data(), q.absmax.data(), block, 0, n, out.data());
  return out;
}

uint8_t nibble(const std::vector<uint8_t>& packed, size_t i) {
  return i % 2 == 0 ? packed[i / 2] >> 4 : packed[i / 2] & 0x0F;
}

double rel_l2(const std::vector<float>& a, const std::vector<float>& ref) {
  double num = 0, den = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    num += (double(a[i]) - ref[i]) * (double(a[i]) - ref[i]);
    den += double(ref[i]) * ref[i];
  }
  return std::sqrt(num / den);
}

TEST(Bnb4Codes, TablesAreBitsandbytesValues) {
  const auto& nf4 = bnb::code_table(DType::NF4);
  const auto& fp4 = bnb::code_table(DType::FP4);
  for (int i = 0; i < 16; ++i) {
    EXPECT_EQ(nf4[i], kNF4Values[i]) << "NF4 code " << i;
    EXPECT_EQ(fp4[i], kFP4Raw[i] / 12.0f) << "FP4 code " << i;
    EXPECT_EQ(std::signbit(fp4[i]), i >= 8) << "FP4 code " << i;
  }
  // NF4 is ascending with exact zero at code 7 and ±1 at the ends.
  for (int i = 0; i < 15; ++i) EXPECT_LT(nf4[i], nf4[i + 1]);
  EXPECT_EQ(nf4[7], 0.0f);
  EXPECT_THROW(bnb::code_table(DType::F32), Error);
}

TEST(Bnb4Codes, EveryCodeValueQuantizesToItself) {
  for (uint8_t c = 0; c < 16; ++c) {
    EXPECT_EQ(bnb::quantize_value(DType::NF4, kNF4Values[c]), c);
    // FP4's -0 has no sign to test (-0 < 0 is false): it lands on +0, as in bnb.
    const uint8_t want = c == 8 ? 0 : c;
    EXPECT_EQ(bnb::quantize_value(DType::FP4, kFP4Raw[c] / 12.0f), want) << int(c);
  }
}

TEST(Bnb4Codes, ThresholdsAreExactlyBitsandbytesPivots) {
  // At a pivot the tree goes to the lower code (x > pivot fails); one ulp above, to the upper.
  for (const auto& p : kNF4Pivots) {
    EXPECT_EQ(bnb::quantize_value(DType::NF4, p.threshold), p.below) << p.threshold;
    EXPECT_EQ(bnb::quantize_value(DType::NF4, std::nextafter(p.threshold, kInf)), p.above) << p.threshold;
    EXPECT_EQ(bnb::quantize_value(DType::NF4, std::nextafter(p.threshold, -kInf)), p.below) << p.threshold;
  }
  for (const auto& p : kFP4Pivots) {
    EXPECT_EQ(bnb::quantize_value(DType::FP4, p.threshold), p.below) << p.threshold;
    EXPECT_EQ(bnb::quantize_value(DType::FP4, std::nextafter(p.threshold, kInf)), p.above) << p.threshold;
    EXPECT_EQ(bnb::quantize_value(DType::FP4, -p.threshold), p.below | 0x8) << -p.threshold;
    EXPECT_EQ(bnb::quantize_value(DType::FP4, -std::nextafter(p.threshold, kInf)), p.above | 0x8) << p.threshold;
  }
  // Each pivot is a midpoint between its neighbouring codes to float precision (a few ulps).
  for (const auto& p : kNF4Pivots)
    EXPECT_NEAR(p.threshold, (kNF4Values[p.below] + kNF4Values[p.above]) / 2, 1e-6) << p.threshold;
  for (const auto& p : kFP4Pivots)
    EXPECT_NEAR(p.threshold, (kFP4Raw[p.below] + kFP4Raw[p.above]) / 24, 1e-6) << p.threshold;
}

TEST(Bnb4Codes, RandomValuesPickTheNearestCodeLikeTheTrees) {
  std::mt19937 rng(1);
  std::uniform_real_distribution<float> u(-1.0f, 1.0f);
  for (DType f : {DType::NF4, DType::FP4}) {
    const auto& code = bnb::code_table(f);
    for (int i = 0; i < 200000; ++i) {
      const float x = u(rng);
      const uint8_t q = bnb::quantize_value(f, x);
      ASSERT_EQ(q, reference_code(f, x)) << x;
      double best = 1e9;
      for (float c : code) best = std::min(best, std::fabs(double(x) - c));
      ASSERT_LE(std::fabs(double(x) - code[q]), best + 1e-6) << x;
    }
    // Outside [-1, 1] (never produced by absmax scaling) the extremes are chosen.
    EXPECT_EQ(bnb::quantize_value(f, 5.0f), f == DType::NF4 ? 15 : 3);
    EXPECT_EQ(bnb::quantize_value(f, -5.0f), f == DType::NF4 ? 0 : 11);
  }
}

TEST(Bnb4Blocks, NibbleOrderAndBlocksOverTheFlattenedTensor) {
  // 3 full blocks and a partial one of 17 (odd length: the last byte has one element).
  const size_t n = 64 * 3 + 17;
  std::mt19937 rng(2);
  std::normal_distribution<float> g(0.0f, 1.0f);
  std::vector<float> x(n);
  for (auto& v : x) v = g(rng);
  x[70] = -9.0f;  // absmax of block 1 from a negative value
  for (DType f : {DType::NF4, DType::FP4}) {
    const Quantized q = quantize(f, x);
    ASSERT_EQ(q.packed.size(), (n + 1) / 2);
    ASSERT_EQ(q.absmax.size(), 4u);
    for (size_t b = 0; b < 4; ++b) {
      float amax = 0;
      for (size_t i = b * 64; i < std::min(n, b * 64 + 64); ++i) amax = std::max(amax, std::fabs(x[i]));
      EXPECT_EQ(q.absmax[b], amax) << "block " << b;
    }
    EXPECT_EQ(q.absmax[1], 9.0f);
    const auto& code = bnb::code_table(f);
    const std::vector<float> back = dequantize(f, q, n);
    for (size_t i = 0; i < n; ++i) {
      const float inv = 1.0f / q.absmax[i / 64];
      ASSERT_EQ(nibble(q.packed, i), reference_code(f, x[i] * inv)) << "element " << i;
      ASSERT_EQ(back[i], code[nibble(q.packed, i)] * q.absmax[i / 64]) << "element " << i;
    }
    EXPECT_EQ(q.packed.back() & 0x0F, 0) << "the unused low nibble of an odd tail is zero";
    // The element holding the block maximum decodes exactly (code ±1 times absmax).
    EXPECT_EQ(back[70], -9.0f);
  }
  // Hand-checked packing: [1, -1, 0, 0.5] in one block of NF4 -> codes 15, 0, 7, 12 (0.5 is
  // nearer 0.4407 than 0.5626).
  const Quantized q = quantize(DType::NF4, {1.0f, -1.0f, 0.0f, 0.5f});
  ASSERT_EQ(q.packed.size(), 2u);
  EXPECT_EQ(q.packed[0], 0xF0);
  EXPECT_EQ(q.packed[1], 0x7C);
  EXPECT_EQ(q.absmax[0], 1.0f);
}

TEST(Bnb4Blocks, OtherBlockSizes) {
  std::vector<float> x(300);
  for (size_t i = 0; i < x.size(); ++i) x[i] = std::sin(0.37f * static_cast<float>(i)) * (1.0f + i / 50.0f);
  for (int block : {32, 128, 256}) {
    const Quantized q = quantize(DType::NF4, x, block);
    ASSERT_EQ(q.absmax.size(), (x.size() + block - 1) / block);
    const auto back = dequantize(DType::NF4, q, x.size(), block);
    for (size_t i = 0; i < x.size(); ++i)
      ASSERT_EQ(back[i], bnb::code_table(DType::NF4)[nibble(q.packed, i)] * q.absmax[i / block]);
    EXPECT_LT(rel_l2(back, x), 0.15) << block;
  }
  std::vector<uint8_t> packed(2);
  std::vector<float> absmax(1);
  EXPECT_THROW(bnb::quantize(DType::NF4, x.data(), 4, 0, packed.data(), absmax.data()), Error);
  EXPECT_THROW(bnb::quantize(DType::NF4, x.data(), 4, 3, packed.data(), absmax.data()), Error);
}

TEST(Bnb4Blocks, ZeroBlocksAndNaN) {
  std::vector<float> x(128, 0.0f);
  for (size_t i = 64; i < 128; ++i) x[i] = static_cast<float>(i) - 100.0f;
  x[80] = std::numeric_limits<float>::quiet_NaN();
  for (DType f : {DType::NF4, DType::FP4}) {
    const Quantized q = quantize(f, x);
    // Zero block: absmax 0, and bnb's 0 * (1/0) = NaN lands on code 0 for every element.
    EXPECT_EQ(q.absmax[0], 0.0f);
    for (size_t i = 0; i < 32; ++i) EXPECT_EQ(q.packed[i], 0x00) << i;
    const auto back = dequantize(f, q, x.size());
    for (size_t i = 0; i < 64; ++i) EXPECT_EQ(back[i], 0.0f) << i;
    // NaN is ignored by the block maximum (fmaxf in bnb) and quantizes to code 0.
    EXPECT_EQ(q.absmax[1], 36.0f);  // |127 - 100| = 27 < |64 - 100| = 36
    EXPECT_EQ(nibble(q.packed, 80), 0);
    EXPECT_EQ(back[80], f == DType::NF4 ? -36.0f : 0.0f);
    for (size_t i = 64; i < 128; ++i) {
      if (i != 80) {
        EXPECT_FALSE(std::isnan(back[i])) << i;
      }
    }
  }
}

TEST(Bnb4Blocks, DequantizeRangeMatchesWholeDecodeAtAnyOffset) {
  std::mt19937 rng(4);
  std::normal_distribution<float> g(0.0f, 2.0f);
  std::vector<float> x(1000);
  for (auto& v : x) v = g(rng);
  const Quantized q = quantize(DType::FP4, x);
  const auto all = dequantize(DType::FP4, q, x.size());
  for (size_t start : {0, 1, 63, 64, 65, 127, 500, 999}) {
    for (size_t count : {0, 1, 2, 63, 64, 130}) {
      if (start + count > x.size()) continue;
      std::vector<float> part(count);
      bnb::dequantize_range(DType::FP4, q.packed.data(), q.absmax.data(), 64, start, count, part.data());
      for (size_t i = 0; i < count; ++i) ASSERT_EQ(part[i], all[start + i]) << start << "+" << i;
    }
  }
}

TEST(Bnb4Blocks, TensorConvertRoundTripAndErrorBounds) {
  std::mt19937 rng(9);
  std::normal_distribution<float> g(0.0f, 0.02f);
  std::vector<float> x(96 * 130);
  for (auto& v : x) v = g(rng);
  const Tensor t = Tensor::from_vector({96, 130}, x);
  for (DType f : {DType::NF4, DType::FP4}) {
    const Tensor q = convert(t, f);
    ASSERT_EQ(q.dtype(), f);
    ASSERT_EQ(q.shape(), t.shape());
    ASSERT_EQ(q.block_size(), 64);
    ASSERT_EQ(q.absmax().numel(), (96 * 130 + 63) / 64);
    const std::vector<float> back = to_vector(q);
    // Exactly code * absmax for the codes bnb would pick.
    for (size_t i = 0; i < x.size(); ++i) {
      const float amax = q.absmax().f32()[i / 64];
      ASSERT_EQ(back[i], bnb::code_table(f)[reference_code(f, x[i] * (1.0f / amax))] * amax) << i;
    }
    // Measured: NF4 0.092, FP4 0.122 on Gaussian data (bench/RESULTS.md); loose bounds.
    const double err = rel_l2(back, x);
    EXPECT_LT(err, f == DType::NF4 ? 0.12 : 0.17) << dtype_name(f);
    EXPECT_GT(err, 0.03) << dtype_name(f) << ": 4 bits cannot be this exact";
    // Re-quantizing the dequantized tensor reproduces the same codes and scales.
    const Tensor again = convert(Tensor::from_vector({96, 130}, back), f);
    EXPECT_EQ(to_vector(again), back);
  }
}

// Double quantization (bnb compress_statistics, Forge's v1 files): the fp32 absmax vector minus
// its mean ("offset") is blockwise-quantized to uint8 codes of a 256-entry map with one fp32
// nested absmax per 256 blocks; decoding is code[q] * nested_absmax[i / 256] + offset in fp32.
TEST(Bnb4Nested, DecodesNestedAbsmax) {
  const size_t blocks = 600;  // 256 + 256 + 88: a partial last nested block
  std::mt19937 rng(6);
  std::uniform_real_distribution<float> u(0.01f, 0.2f);
  std::vector<float> absmax(blocks);
  for (auto& a : absmax) a = u(rng);
  double mean = 0;
  for (float a : absmax) mean += a;
  const float offset = static_cast<float>(mean / blocks);
  // A signed 256-entry map (any ascending table works the same way): uniform in [-1, 1].
  std::vector<float> code(256);
  for (int i = 0; i < 256; ++i) code[i] = -1.0f + 2.0f * static_cast<float>(i) / 255.0f;
  std::vector<float> nested_absmax(3, 0.0f);
  for (size_t i = 0; i < blocks; ++i)
    nested_absmax[i / 256] = std::max(nested_absmax[i / 256], std::fabs(absmax[i] - offset));
  std::vector<uint8_t> q(blocks);
  for (size_t i = 0; i < blocks; ++i) {
    const float x = (absmax[i] - offset) / nested_absmax[i / 256];
    q[i] = static_cast<uint8_t>(std::lround((x + 1.0f) * 127.5f));
  }
  const std::vector<float> decoded =
      bnb::dequantize_nested_absmax(q.data(), blocks, code.data(), nested_absmax.data(), 3, 256, offset);
  ASSERT_EQ(decoded.size(), blocks);
  for (size_t i = 0; i < blocks; ++i) {
    const float scaled = code[q[i]] * nested_absmax[i / 256];
    ASSERT_EQ(decoded[i], scaled + offset) << i;
    ASSERT_NEAR(decoded[i], absmax[i], nested_absmax[i / 256] / 255.0f + 1e-7f) << i;
  }
  // Too few nested scales, or a nonsensical nested block size, is an error, not a read overrun.
  EXPECT_THROW(bnb::dequantize_nested_absmax(q.data(), blocks, code.data(), nested_absmax.data(), 2, 256, offset),
               Error);
  EXPECT_THROW(bnb::dequantize_nested_absmax(q.data(), blocks, code.data(), nested_absmax.data(), 3, 0, offset),
               Error);
}

}  // namespace
}  // namespace fluxgen
