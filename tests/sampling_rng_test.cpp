// Torch-identical noise: the CPU (mt19937) and CUDA (Philox) generators against torch's own
// outputs, plus structural checks derived independently of the bit-level Box-Muller code.
#include <gtest/gtest.h>

#include <cmath>
#include <numbers>
#include <random>
#include <string>

#include "io/safetensors.h"
#include "sampling/cephes_float_math.h"
#include "sampling/curand_philox.h"
#include "sampling/torch_rng.h"
#include "tensor/convert.h"
#include "test_support.h"
#include "util/error.h"

namespace fluxgen::sampling {
namespace {

constexpr uint64_t kFixtureSeeds[] = {0, 42, 1234567890};
constexpr int64_t kFixtureNumel = 1 * 16 * 8 * 12;

std::vector<float> fixture_noise(const std::string& name) {
  const auto file = SafetensorsFile::open(test::fixture("torch_randn.safetensors"));
  const Tensor t = file->get(name);
  EXPECT_EQ(t.numel(), kFixtureNumel);
  return to_vector(t);
}

double max_abs(const std::vector<float>& a, const std::vector<float>& b) {
  EXPECT_EQ(a.size(), b.size());
  double m = 0;
  for (size_t i = 0; i < a.size(); ++i) m = std::max(m, std::fabs(double(a[i]) - b[i]));
  return m;
}

double rel_l2(const std::vector<float>& a, const std::vector<float>& b) {
  double num = 0, den = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    num += (double(a[i]) - b[i]) * (double(a[i]) - b[i]);
    den += double(b[i]) * b[i];
  }
  return std::sqrt(num / den);
}

// torch's >= 16-element fill written plainly in double precision from the same mt19937 draws:
// an independent statement of the layout (uniform scaling, j/j+8 pairing, 1 - u, the tail).
std::vector<float> reference_vectorized_layout(uint64_t seed, int64_t n) {
  std::mt19937 mt(static_cast<uint32_t>(seed));
  auto uniform = [&] { return double(mt() & 0xffffff) / 16777216.0; };
  std::vector<double> u(static_cast<size_t>(n));
  for (auto& v : u) v = uniform();
  auto transform = [](double* d) {
    for (int j = 0; j < 8; ++j) {
      const double r = std::sqrt(-2 * std::log(1 - d[j])), th = 2 * std::numbers::pi * d[j + 8];
      d[j] = r * std::cos(th);
      d[j + 8] = r * std::sin(th);
    }
  };
  for (int64_t i = 0; i + 16 <= n; i += 16) transform(&u[i]);
  if (n % 16) {
    for (int64_t i = n - 16; i < n; ++i) u[i] = uniform();
    transform(&u[n - 16]);
  }
  return std::vector<float>(u.begin(), u.end());
}

void expect_standard_normal(const std::vector<float>& v) {
  double sum = 0, sq = 0;
  for (float x : v) {
    ASSERT_TRUE(std::isfinite(x));
    sum += x;
    sq += double(x) * x;
  }
  const double n = double(v.size()), mean = sum / n, var = sq / n - mean * mean;
  // 1e6 samples: the standard errors are 0.001 (mean) and 0.0014 (std).
  EXPECT_LT(std::fabs(mean), 0.005);
  EXPECT_LT(std::fabs(std::sqrt(var) - 1.0), 0.005);
}

TEST(SamplingTorchRng, CpuMatchesTorchBitForBit) {
  for (uint64_t seed : kFixtureSeeds) {
    const auto ref = fixture_noise("cpu." + std::to_string(seed));
    const auto got = torch_randn_cpu(seed, kFixtureNumel);
    EXPECT_EQ(max_abs(got, ref), 0.0) << "seed " << seed;
  }
}

TEST(SamplingTorchRng, CudaMatchesTorchWithinHardwareSineError) {
  for (uint64_t seed : kFixtureSeeds) {
    const auto ref = fixture_noise("cuda." + std::to_string(seed));
    const auto got = torch_randn_cuda(seed, kFixtureNumel);
    // The GPU's __sincosf is a hardware approximation (see torch_cuda_rng.h): the stream and
    // order are exact, the values agree to ~1e-6.
    EXPECT_LT(max_abs(got, ref), 1.25e-6) << "seed " << seed;
    EXPECT_LT(rel_l2(got, ref), 4e-7) << "seed " << seed;
  }
}

TEST(SamplingTorchRng, CpuSmallTensorsUseTheCachedScalarPath) {
  // torch.manual_seed(0); torch.randn(5) == [1.5410, -0.2934, -2.1788, 0.5684, -1.0845].
  const auto v = torch_randn_cpu(0, 5);
  const double expected[] = {1.5410, -0.2934, -2.1788, 0.5684, -1.0845};
  for (int i = 0; i < 5; ++i) EXPECT_NEAR(v[i], expected[i], 1e-4) << i;

  // The second Box-Muller value is cached in the generator across calls.
  TorchCpuGenerator g(0);
  const auto a = g.randn(1), b = g.randn(3);
  const auto all = torch_randn_cpu(0, 4);
  EXPECT_EQ(a[0], all[0]);
  EXPECT_EQ(b[0], all[1]);
  EXPECT_EQ(b[1], all[2]);
  EXPECT_EQ(b[2], all[3]);
  EXPECT_TRUE(torch_randn_cpu(7, 0).empty());
}

TEST(SamplingTorchRng, CpuLayoutMatchesAnIndependentReference) {
  for (int64_t n : {16, 17, 20, 31, 32, 33, 100, 1000}) {
    const auto got = torch_randn_cpu(42, n);
    const auto ref = reference_vectorized_layout(42, n);
    EXPECT_LT(max_abs(got, ref), 2e-5) << "numel " << n;
  }
  // The first 16 of torch.randn(4, 4) with seed 0 (a widely printed tensor).
  const auto v = torch_randn_cpu(0, 16);
  const double expected[] = {-1.1258, -1.1524, -0.2506, -0.4339, 0.8487, 0.6920, -0.3160, -2.1152,
                             0.3223,  -1.2633, 0.3500,  0.3081,  0.1198, 1.2377, 1.1168,  -0.2473};
  for (int i = 0; i < 16; ++i) EXPECT_NEAR(v[i], expected[i], 1e-4) << i;
  // A non-multiple of 16 keeps the first chunk's head and recomputes the tail.
  const auto v20 = torch_randn_cpu(0, 20);
  for (int i = 0; i < 4; ++i) EXPECT_EQ(v20[i], v[i]);
  EXPECT_NE(v20[4], v[4]);
}

TEST(SamplingTorchRng, CpuSuccessiveDrawsContinueTheStream) {
  TorchCpuGenerator g(1234);
  const auto first = g.randn(64), second = g.randn(64);
  EXPECT_EQ(first, torch_randn_cpu(1234, 64));
  EXPECT_NE(first, second);
  // 64 uniforms consumed by the first draw: the second equals the last 64 of a single 128 draw.
  const auto both = torch_randn_cpu(1234, 128);
  EXPECT_EQ(second, std::vector<float>(both.begin() + 64, both.end()));
}

TEST(SamplingTorchRng, CpuSeedUsesLow32Bits) {
  EXPECT_EQ(torch_randn_cpu((uint64_t{5} << 32) | 9, 32), torch_randn_cpu(9, 32));
  EXPECT_NE(torch_randn_cpu(9, 32), torch_randn_cpu(10, 32));
}

TEST(SamplingTorchRng, CpuAndCudaAreStandardNormalOverAMillionSamples) {
  expect_standard_normal(torch_randn_cpu(2024, 1000000));
  expect_standard_normal(torch_randn_cuda(2024, 1000000));
}

TEST(SamplingTorchRng, CephesMathIsAccurate) {
  for (float x = 1e-7f; x <= 1.0f; x *= 1.37f) EXPECT_NEAR(cephes_logf(x), std::log(double(x)), 4e-7 * std::fabs(std::log(x)) + 1e-7);
  for (float x = 0.0f; x < 6.3f; x += 0.01f) {
    float s, c;
    cephes_sincosf(x, &s, &c);
    EXPECT_NEAR(s, std::sin(double(x)), 3e-7) << x;
    EXPECT_NEAR(c, std::cos(double(x)), 3e-7) << x;
  }
}

TEST(SamplingTorchRng, PhiloxKnownAnswers) {
  // Random123's kat_vectors for philox4x32 with 10 rounds.
  EXPECT_EQ(philox4x32_10({0, 0, 0, 0}, 0, 0), (Words4{0x6627e8d5u, 0xe169c58du, 0xbc57ac4cu, 0x9b00dbd8u}));
  EXPECT_EQ(philox4x32_10({0xffffffffu, 0xffffffffu, 0xffffffffu, 0xffffffffu}, 0xffffffffu, 0xffffffffu),
            (Words4{0x408f276du, 0x41c83b0eu, 0xa20bc7c6u, 0x6d5451fdu}));
  EXPECT_EQ(philox4x32_10({0x243f6a88u, 0x85a308d3u, 0x13198a2eu, 0x03707344u}, 0xa4093822u, 0x299f31d0u),
            (Words4{0xd16cfe09u, 0x94fdccebu, 0x5001e420u, 0x24126ea1u}));
}

TEST(SamplingTorchRng, CurandOffsetSkipsWords) {
  // curand_init's offset skips single 32-bit words: offset k starts k words into the sequence.
  CurandPhiloxState base(77, 3, 0);
  const Words4 a = base.next4(), b = base.next4();
  const uint32_t words[8] = {a[0], a[1], a[2], a[3], b[0], b[1], b[2], b[3]};
  for (uint64_t k = 0; k < 4; ++k) {
    CurandPhiloxState s(77, 3, k);
    const Words4 w = s.next4();
    for (int i = 0; i < 4; ++i) EXPECT_EQ(w[i], words[k + i]) << "offset " << k;
  }
  EXPECT_NE(CurandPhiloxState(77, 4, 0).next4(), a);  // another subsequence
}

TEST(SamplingTorchRng, CudaGeometryMattersOnlyForLargeTensors) {
  const CudaLaunchGeometry h100{132, 2048}, rtx3090{82, 1536};
  // 3090: 82 * 6 blocks * 256 = 125952 threads; below that every element is thread idx's first value.
  EXPECT_EQ(torch_randn_cuda(5, 100000, h100), torch_randn_cuda(5, 100000, rtx3090));
  // 16 x 128 x 128 = 262144 elements: more than either grid's threads, so the order differs.
  const auto a = torch_randn_cuda(5, 262144, h100), b = torch_randn_cuda(5, 262144, rtx3090);
  EXPECT_EQ(std::vector<float>(a.begin(), a.begin() + 1000), std::vector<float>(b.begin(), b.begin() + 1000));
  EXPECT_NE(a, b);
  // The value stored at element e >= stride comes from thread e - stride's second normal: with the
  // 3090 grid, element 125952 is the cos half of thread 0's first pair, so it differs from H100's.
  EXPECT_NE(a[125952], b[125952]);
  EXPECT_THROW(TorchCudaGenerator(0, CudaLaunchGeometry{0, 2048}), Error);
  EXPECT_THROW(TorchCudaGenerator(0, CudaLaunchGeometry{80, 100}), Error);
}

TEST(SamplingTorchRng, CudaOffsetAdvancesLikeTorch) {
  TorchCudaGenerator g(9);
  const auto first = g.randn(1000);
  EXPECT_EQ(g.philox_offset(), 4u);  // one curand_normal4 per thread
  const auto second = g.randn(1000);
  EXPECT_EQ(g.philox_offset(), 8u);
  EXPECT_EQ(first, torch_randn_cuda(9, 1000));
  // Offset 4 skips exactly the words of each thread's first curand_normal4: element e of the
  // second draw is the first value of thread e's second curand_normal4.
  CurandPhiloxState thread17(9, 17, 0);
  EXPECT_EQ(first[17], curand_normal4(thread17)[0]);
  EXPECT_EQ(second[17], curand_normal4(thread17)[0]);
  EXPECT_NE(first, second);
  // 1e6 elements with the default grid (196608 threads): 2 loop iterations -> offset 8.
  TorchCudaGenerator big(9);
  big.randn(1000000);
  EXPECT_EQ(big.philox_offset(), 8u);
}

TEST(SamplingTorchRng, NoiseSourceNamesAndShapes) {
  EXPECT_EQ(parse_noise_source("CPU"), NoiseSource::Cpu);
  EXPECT_EQ(parse_noise_source("cuda"), NoiseSource::Cuda);
  EXPECT_EQ(parse_noise_source("GPU"), NoiseSource::Cuda);
  try {
    parse_noise_source("nv");
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("cpu, cuda"), std::string::npos);
  }
  const Tensor t = torch_randn(NoiseSource::Cpu, 0, {1, 16, 8, 12});
  EXPECT_EQ(t.shape(), (Shape{1, 16, 8, 12}));
  EXPECT_EQ(to_vector(t), torch_randn_cpu(0, kFixtureNumel));
  EXPECT_THROW(torch_randn(NoiseSource::Cpu, 0, {2, 0, 3}), Error);
  EXPECT_THROW(torch_randn(NoiseSource::Cpu, 0, {}), Error);
  EXPECT_THROW(torch_randn(NoiseSource::Cuda, 0, {65536, 65536}), Error);
  EXPECT_THROW(torch_randn(NoiseSource::Cpu, 0, {int64_t{1} << 40, int64_t{1} << 40}), Error);
}

}  // namespace
}  // namespace fluxgen::sampling
