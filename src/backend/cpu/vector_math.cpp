#include "backend/cpu/vector_math.h"

#include <algorithm>
#include <cmath>
#include <cstring>

// Sanitizer builds and non-x86 compilers take the portable loops only.
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) && !defined(__SANITIZE_ADDRESS__)
#define FLUXGEN_VECTOR_CLONES __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#else
#define FLUXGEN_VECTOR_CLONES
#endif

namespace fluxgen::cpu {

namespace {

inline float bits_to_float(uint32_t u) {
  float f;
  std::memcpy(&f, &u, sizeof f);
  return f;
}

// e^x for any float: 0 below -87.3, +inf above 88.72, NaN stays NaN. Branch-free so loops vectorise.
inline float fast_exp(float x) {
  const float hi = 88.7228f, lo = -87.3365f;
  const bool nan = x != x;
  const float xc = std::min(std::max(x, lo), hi);
  const float n = std::nearbyint(xc * 1.44269504088896341f);
  // r = x - n·ln2 in two parts (Cody-Waite) so r keeps full precision.
  const float r = (xc - n * 0.693359375f) + n * 2.12194440e-4f;
  float p = 1.0f / 5040.0f;
  p = p * r + 1.0f / 720.0f;
  p = p * r + 1.0f / 120.0f;
  p = p * r + 1.0f / 24.0f;
  p = p * r + 1.0f / 6.0f;
  p = p * r + 0.5f;
  p = p * r + 1.0f;
  p = p * r + 1.0f;
  // 2^n split in two factors so n = 128 (x near the top) does not overflow the exponent field.
  const int32_t ni = static_cast<int32_t>(n);
  const int32_t half = ni / 2;
  const float scale1 = bits_to_float(static_cast<uint32_t>(half + 127) << 23);
  const float scale2 = bits_to_float(static_cast<uint32_t>(ni - half + 127) << 23);
  float e = p * scale1 * scale2;
  e = x > hi ? INFINITY : e;
  e = x < lo ? 0.0f : e;
  return nan ? x : e;
}

// tanh(x) = sign(x)·(1 − 2/(e^{2|x|} + 1)); exact to ~1e-7 absolute, which is what GELU needs.
inline float fast_tanh(float x) {
  const float a = std::fabs(x);
  const float t = 1.0f - 2.0f / (fast_exp(2.0f * a) + 1.0f);
  return std::copysign(t, x);
}

}  // namespace

FLUXGEN_VECTOR_CLONES void exp_inplace(float* x, int64_t n) {
  for (int64_t i = 0; i < n; ++i) x[i] = fast_exp(x[i]);
}

FLUXGEN_VECTOR_CLONES void silu(const float* x, float* y, int64_t n) {
  for (int64_t i = 0; i < n; ++i) y[i] = x[i] / (1.0f + fast_exp(-x[i]));
}

FLUXGEN_VECTOR_CLONES void sigmoid(const float* x, float* y, int64_t n) {
  for (int64_t i = 0; i < n; ++i) y[i] = 1.0f / (1.0f + fast_exp(-x[i]));
}

FLUXGEN_VECTOR_CLONES void tanh(const float* x, float* y, int64_t n) {
  for (int64_t i = 0; i < n; ++i) y[i] = fast_tanh(x[i]);
}

FLUXGEN_VECTOR_CLONES void gelu_tanh(const float* x, float* y, int64_t n) {
  constexpr float k = 0.7978845608028654f;  // sqrt(2/pi)
  for (int64_t i = 0; i < n; ++i) {
    const float v = x[i];
    y[i] = 0.5f * v * (1.0f + fast_tanh(k * (v + 0.044715f * v * v * v)));
  }
}

FLUXGEN_VECTOR_CLONES void softmax_row(float* row, const float* bias, int64_t valid, int64_t n, float scale) {
  float mx = -INFINITY;
  if (bias) {
    for (int64_t j = 0; j < valid; ++j) row[j] = row[j] * scale + bias[j];
  } else {
    for (int64_t j = 0; j < valid; ++j) row[j] *= scale;
  }
  for (int64_t j = 0; j < valid; ++j) mx = std::max(mx, row[j]);
  for (int64_t j = 0; j < valid; ++j) row[j] = fast_exp(row[j] - mx);
  // Eight partial double sums: vectorisable without reassociating one long sum.
  double s[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  int64_t j = 0;
  for (; j + 8 <= valid; j += 8)
    for (int k = 0; k < 8; ++k) s[k] += row[j + k];
  double sum = ((s[0] + s[1]) + (s[2] + s[3])) + ((s[4] + s[5]) + (s[6] + s[7]));
  for (; j < valid; ++j) sum += row[j];
  const float inv = static_cast<float>(1.0 / sum);
  for (int64_t i = 0; i < valid; ++i) row[i] *= inv;
  for (int64_t i = valid; i < n; ++i) row[i] = 0.0f;
}

}  // namespace fluxgen::cpu
