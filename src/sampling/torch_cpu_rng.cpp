#include "sampling/torch_cpu_rng.h"

// The Box-Muller steps round exactly as PyTorch's compiled kernel does; no contraction here.
#include "sampling/no_fp_contract.h"

#include <cmath>
#include <numbers>

#include "sampling/cephes_float_math.h"
#include "util/error.h"

namespace fluxgen::sampling {
namespace {

// The chunk torch's vectorized normal fill transforms at once (two AVX2 registers).
constexpr int64_t kChunk = 16;
constexpr int64_t kHalfChunk = kChunk / 2;

// Box-Muller over one chunk in place: uniforms in, normals out. The constants are those of
// normal_fill_16_AVX2: 2*pi rounded to float, mean 0 and std 1 applied with one FMA.
void box_muller_chunk(float* data) {
  constexpr float kTwoPi = static_cast<float>(2.0 * std::numbers::pi);
  for (int64_t j = 0; j < kHalfChunk; ++j) {
    const float u1 = 1.0f - data[j];  // [0, 1) -> (0, 1] for the log
    const float u2 = data[j + kHalfChunk];
    const float radius = std::sqrt(-2.0f * cephes_logf(u1));
    const float theta = kTwoPi * u2;
    float s, c;
    cephes_sincosf(theta, &s, &c);
    data[j] = std::fma(radius * c, 1.0f, 0.0f);
    data[j + kHalfChunk] = std::fma(radius * s, 1.0f, 0.0f);
  }
}

}  // namespace

TorchCpuGenerator::TorchCpuGenerator(uint64_t seed) : engine_(static_cast<uint32_t>(seed & 0xffffffffu)) {}

float TorchCpuGenerator::uniform_float() {
  // 24 random bits (float's digits) scaled by 2^-24: [0, 1).
  constexpr uint32_t kMask = (1u << 24) - 1;
  constexpr float kScale = 1.0f / static_cast<float>(1u << 24);
  return static_cast<float>(engine_() & kMask) * kScale;
}

double TorchCpuGenerator::uniform_double() {
  const uint64_t hi = engine_();
  const uint64_t lo = engine_();
  constexpr uint64_t kMask = (uint64_t{1} << 53) - 1;
  constexpr double kScale = 1.0 / static_cast<double>(uint64_t{1} << 53);
  return static_cast<double>(((hi << 32) | lo) & kMask) * kScale;
}

double TorchCpuGenerator::normal_double() {
  if (cached_normal_) {
    const double v = *cached_normal_;
    cached_normal_.reset();
    return v;
  }
  const double u1 = uniform_double();
  const double u2 = uniform_double();
  const double r = std::sqrt(-2.0 * std::log1p(-u2));
  const double theta = 2.0 * std::numbers::pi * u1;
  cached_normal_ = r * std::sin(theta);
  return r * std::cos(theta);
}

void TorchCpuGenerator::fill_vectorized(float* data, int64_t numel) {
  for (int64_t i = 0; i < numel; ++i) data[i] = uniform_float();
  for (int64_t i = 0; i + kChunk <= numel; i += kChunk) box_muller_chunk(data + i);
  if (numel % kChunk != 0) {
    // The tail is redone over the last 16 elements with fresh uniforms, overwriting normals the
    // last full chunk already produced.
    float* tail = data + numel - kChunk;
    for (int64_t i = 0; i < kChunk; ++i) tail[i] = uniform_float();
    box_muller_chunk(tail);
  }
}

std::vector<float> TorchCpuGenerator::randn(int64_t numel) {
  check(numel >= 0, "torch CPU randn: negative element count ", numel);
  std::vector<float> out(static_cast<size_t>(numel));
  if (numel >= kChunk) {
    fill_vectorized(out.data(), numel);
  } else {
    for (auto& v : out) v = static_cast<float>(normal_double());
  }
  return out;
}

std::vector<float> torch_randn_cpu(uint64_t seed, int64_t numel) { return TorchCpuGenerator(seed).randn(numel); }

}  // namespace fluxgen::sampling
