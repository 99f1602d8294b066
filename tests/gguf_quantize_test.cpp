// GGUF block encoders (tensor/gguf_quantize.h) against the decoders: every type round-trips within
// its own quantization step, edge blocks (zeros, constants, one outlier, all negative) stay exact
// or bounded, and convert() writes GGUF dtypes that decode as the encoder meant.
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

#include "tensor/convert.h"
#include "tensor/gguf_blocks.h"
#include "tensor/gguf_quantize.h"
#include "test_support.h"

namespace fluxgen::gguf {
namespace {

struct TypeCase {
  GgmlType type;
  double rel_rmse;  // the largest relative RMS error allowed on Gaussian weights (measured: Q8_0 0.0053, Q6_K 0.019, Q5_x 0.04, Q4_x 0.08, Q3_K 0.155, Q2_K 0.344)
};

// Bounds ~1.5x what these encoders reach on N(0, 1) data (the round-to-nearest error of
// 2^bits levels over each block's range, plus the rounding of the stored scales).
const TypeCase kCases[] = {
    {GgmlType::Q8_0, 0.006}, {GgmlType::Q6_K, 0.025}, {GgmlType::Q5_0, 0.05}, {GgmlType::Q5_1, 0.05},
    {GgmlType::Q5_K, 0.05},  {GgmlType::Q4_0, 0.1},   {GgmlType::Q4_1, 0.1},  {GgmlType::Q4_K, 0.1},
    {GgmlType::Q3_K, 0.2},   {GgmlType::Q2_K, 0.42},
};

std::vector<float> round_trip(GgmlType t, const std::vector<float>& x) {
  const GgmlTypeInfo& info = ggml_type_info(t);
  const int64_t nblocks = static_cast<int64_t>(x.size()) / info.block_elems;
  std::vector<uint8_t> blocks(static_cast<size_t>(nblocks * info.block_bytes));
  quantize_blocks(t, x.data(), nblocks, blocks.data());
  std::vector<float> y(x.size());
  dequantize_blocks(t, blocks.data(), nblocks, y.data());
  return y;
}

double rel_rmse(const std::vector<float>& y, const std::vector<float>& x) {
  double num = 0, den = 0;
  for (size_t i = 0; i < x.size(); ++i) {
    num += (double(y[i]) - x[i]) * (double(y[i]) - x[i]);
    den += double(x[i]) * x[i];
  }
  return std::sqrt(num / den);
}

std::vector<float> gaussian(size_t n, uint32_t seed, float sigma = 1.0f) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> dist(0.0f, sigma);
  std::vector<float> x(n);
  for (float& v : x) v = dist(rng);
  return x;
}

class GgufQuantize : public ::testing::TestWithParam<TypeCase> {};

TEST_P(GgufQuantize, RoundTripsWithinTheTypesPrecision) {
  const TypeCase c = GetParam();
  const size_t n = 256 * 64;
  for (float sigma : {1.0f, 0.02f}) {  // unit values and a real layer's weight scale
    const std::vector<float> x = gaussian(n, 7, sigma);
    const std::vector<float> y = round_trip(c.type, x);
    const double err = rel_rmse(y, x);
    EXPECT_LT(err, c.rel_rmse) << ggml_type_info(c.type).name << " sigma " << sigma;
    EXPECT_GT(err, 0.0);  // a lossy format that reproduced Gaussian floats exactly would be a bug here
  }
}

TEST_P(GgufQuantize, EveryValueStaysNearItsBlocksRange) {
  const TypeCase c = GetParam();
  const int elems = ggml_type_info(c.type).block_elems;
  const std::vector<float> x = gaussian(static_cast<size_t>(elems) * 32, 11);
  const std::vector<float> y = round_trip(c.type, x);
  for (size_t b = 0; b < x.size() / elems; ++b) {
    float amax = 0;
    for (int i = 0; i < elems; ++i) amax = std::max(amax, std::fabs(x[b * elems + i]));
    for (int i = 0; i < elems; ++i) {
      const size_t k = b * elems + i;
      // No value lands farther away than the widest step of the coarsest type (Q2_K: 3 levels).
      ASSERT_LE(std::fabs(y[k] - x[k]), 0.75f * amax) << ggml_type_info(c.type).name << " element " << k;
    }
  }
}

TEST_P(GgufQuantize, EdgeBlocks) {
  const TypeCase c = GetParam();
  const int elems = ggml_type_info(c.type).block_elems;
  const char* name = ggml_type_info(c.type).name.data();
  // Zeros decode to zeros exactly.
  for (float v : round_trip(c.type, std::vector<float>(elems, 0.0f))) ASSERT_EQ(v, 0.0f) << name;
  // A constant block: within fp16's rounding of the scale.
  for (float v : round_trip(c.type, std::vector<float>(elems, -0.75f))) ASSERT_NEAR(v, -0.75f, 0.75f * 2e-3f) << name;
  // One outlier among small values: the outlier survives within 1%.
  std::vector<float> outlier = gaussian(elems, 3, 0.01f);
  outlier[5] = 4.0f;
  EXPECT_NEAR(round_trip(c.type, outlier)[5], 4.0f, 0.04f) << name;
  // All negative (the types with a minimum must reach below zero).
  std::vector<float> negative = gaussian(elems, 5);
  for (float& v : negative) v = -std::fabs(v) - 1.0f;
  EXPECT_LT(rel_rmse(round_trip(c.type, negative), negative), c.rel_rmse) << name;
}

INSTANTIATE_TEST_SUITE_P(AllTypes, GgufQuantize, ::testing::ValuesIn(kCases), [](const auto& info) {
  return std::string(ggml_type_info(info.param.type).name);
});

TEST(GgufQuantizeConvert, ConvertWritesGgufDtypesThatDecodeAsTheEncoderMeant) {
  const std::vector<float> x = gaussian(256 * 6, 21, 0.05f);
  const Tensor w = Tensor::from_vector({6, 256}, x);
  for (DType t : {DType::Q8_0, DType::Q4_K, DType::Q6_K}) {
    const Tensor q = convert(w, t);
    EXPECT_EQ(q.dtype(), t);
    EXPECT_EQ(q.shape(), w.shape());
    EXPECT_EQ(q.nbytes(), dtype_storage_bytes(t, w.numel()));
    const std::vector<float> expected = round_trip(ggml_type_of(t), x);
    EXPECT_EQ(to_vector(q), expected) << dtype_name(t);
    // Converting to the dtype it holds keeps the blocks as they are.
    EXPECT_EQ(to_vector(convert(q, t)), expected) << dtype_name(t);
  }
  const Tensor odd = Tensor::from_vector({3, 10}, std::vector<float>(30, 1.0f));
  EXPECT_NE(test::error_of([&] { convert(odd, DType::Q4_K); }).find("not a whole number of its 256-element blocks"),
            std::string::npos);
}

}  // namespace
}  // namespace fluxgen::gguf
