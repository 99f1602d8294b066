// Every op of backend/ops.h on the CPU backend against a plain reference loop written here in
// double precision: random inputs, odd sizes, broadcasting, every weight dtype of linear, sizes
// large enough to cross the backend's internal tiles (dequantization bands, attention query
// blocks, im2col bands).
#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <random>
#include <string>
#include <tuple>
#include <vector>

#include "backend/cpu/gemm.h"
#include "backend/ops.h"
#include "tensor/convert.h"
#include "test_support.h"
#include "util/error.h"
#include "util/strings.h"

namespace fluxgen {
namespace {

using test::error_of;

using Ref = std::vector<double>;

Tensor randn(Shape shape, uint32_t seed, float scale = 1.0f) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> g(0.0f, scale);
  Tensor t = Tensor::empty(std::move(shape));
  for (int64_t i = 0; i < t.numel(); ++i) t.f32()[i] = g(rng);
  return t;
}

Ref as_ref(const Tensor& t) {
  const std::vector<float> v = to_vector(t);
  return Ref(v.begin(), v.end());
}

// Relative L2 error of `got` against the double reference, with the shape checked.
void expect_close(const Tensor& got, const Shape& shape, const Ref& ref, double tol = 1e-5, const std::string& what = "") {
  ASSERT_EQ(got.shape(), shape) << what;
  ASSERT_EQ(got.dtype(), DType::F32) << what;
  ASSERT_EQ(static_cast<size_t>(got.numel()), ref.size()) << what;
  double num = 0, den = 0, max_err = 0;
  const float* p = got.f32();
  for (size_t i = 0; i < ref.size(); ++i) {
    const double d = p[i] - ref[i];
    num += d * d;
    den += ref[i] * ref[i];
    max_err = std::max(max_err, std::fabs(d));
  }
  const double rel = den > 0 ? std::sqrt(num / den) : std::sqrt(num);
  EXPECT_LT(rel, tol) << what << " (max abs error " << max_err << ")";
}


// --------------------------------------------------------------------------------------------
// linear

Ref ref_linear(const Ref& x, int64_t M, int64_t K, const Ref& w, int64_t N, const Ref* bias) {
  Ref y(static_cast<size_t>(M * N));
  for (int64_t m = 0; m < M; ++m)
    for (int64_t n = 0; n < N; ++n) {
      double s = bias ? (*bias)[n] : 0.0;
      for (int64_t k = 0; k < K; ++k) s += x[m * K + k] * w[n * K + k];
      y[m * N + n] = s;
    }
  return y;
}

TEST(CpuOpsLinear, EveryWeightDtypeEqualsLinearWithTheDequantizedWeight) {
  const int64_t K = 37, N = 19;
  const Tensor x = randn({2, 3, K}, 1);
  const Tensor w32 = randn({N, K}, 2, 0.1f);
  const Tensor bias = randn({N}, 3);
  const Ref xr = as_ref(x), br = as_ref(bias);
  for (DType dt : {DType::F32, DType::BF16, DType::F16, DType::F8_E4M3, DType::F8_E5M2, DType::NF4, DType::FP4}) {
    const Tensor w = convert(w32, dt, Overflow::Saturate);
    ASSERT_EQ(w.dtype(), dt);
    const Ref wr = as_ref(w);  // what the weight really holds
    expect_close(ops::linear(x, w, &bias), {2, 3, N}, ref_linear(xr, 6, K, wr, N, &br), 1e-5, std::string(dtype_name(dt)));
    expect_close(ops::linear(x, w), {2, 3, N}, ref_linear(xr, 6, K, wr, N, nullptr), 1e-5, std::string(dtype_name(dt)));
    // Exactly what an F32 linear with the dequantized weight computes, up to summation order.
    const Tensor dense = ops::linear(x, to_f32(w), &bias);
    EXPECT_LT(test::max_abs_diff(ops::linear(x, w, &bias), dense), 1e-5) << dtype_name(dt);
  }
}

TEST(CpuOpsLinear, WideQuantizedWeightSpansSeveralDequantizationTiles) {
  // Bands of 2^20 weights (1048 rows of 1000) instead of the default 2^24, so a small weight shows
  // the banding: 2100 x 1000 is three bands (the last partial), and K = 1000 is not a multiple of
  // the 64-element NF4 block.
  const int64_t M = 3, K = 1000, N = 2100;
  const Tensor x = randn({M, K}, 4);
  const Tensor w32 = randn({N, K}, 5, 0.05f);
  for (DType dt : {DType::NF4, DType::F8_E4M3}) {
    const Tensor w = convert(w32, dt, Overflow::Saturate);
    Tensor y = Tensor::empty({M, N});
    cpu::gemm_weight_nt(M, x.f32(), w, y.f32(), int64_t(1) << 20);
    expect_close(y, {M, N}, ref_linear(as_ref(x), M, K, as_ref(w), N, nullptr), 1e-5, std::string(dtype_name(dt)));
    expect_close(ops::linear(x, w), {M, N}, ref_linear(as_ref(x), M, K, as_ref(w), N, nullptr), 1e-5,
                 std::string(dtype_name(dt)) + " (default bands)");
  }
}

TEST(CpuOpsLinear, ShapeErrors) {
  const Tensor x = randn({2, 4}, 6);
  EXPECT_NE(error_of([&] { ops::linear(x, randn({3, 5}, 7)); }).find("does not match weight"), std::string::npos);
  EXPECT_NE(error_of([&] { ops::linear(x, randn({12}, 7)); }).find("weight must be 2-D"), std::string::npos);
  const Tensor b = randn({2}, 8);
  EXPECT_NE(error_of([&] { ops::linear(x, randn({3, 4}, 7), &b); }).find("bias"), std::string::npos);
  // Zero rows in, zero rows out.
  EXPECT_EQ(ops::linear(Tensor::empty({0, 4}), convert(randn({3, 4}, 7), DType::NF4)).shape(), (Shape{0, 3}));
}

// --------------------------------------------------------------------------------------------
// attention

// softmax(q·kᵀ·scale + bias, masked) · v for [B, H, L, D]; bias [bB, bH, Lq, Lk] broadcasting.
Ref ref_attention(const Tensor& q, const Tensor& k, const Tensor& v, const Tensor* bias, bool causal, double scale) {
  const int64_t B = q.dim(0), H = q.dim(1), Lq = q.dim(2), D = q.dim(3), Lk = k.dim(2), Dv = v.dim(3);
  const Ref qr = as_ref(q), kr = as_ref(k), vr = as_ref(v);
  const Ref br = bias ? as_ref(*bias) : Ref();
  Ref out(static_cast<size_t>(B * H * Lq * Dv));
  std::vector<double> s(static_cast<size_t>(Lk));
  for (int64_t b = 0; b < B; ++b)
    for (int64_t h = 0; h < H; ++h)
      for (int64_t i = 0; i < Lq; ++i) {
        double mx = -INFINITY;
        const int64_t valid = causal ? std::min(Lk, i + 1) : Lk;
        for (int64_t j = 0; j < valid; ++j) {
          double dot = 0;
          for (int64_t d = 0; d < D; ++d) dot += qr[((b * H + h) * Lq + i) * D + d] * kr[((b * H + h) * Lk + j) * D + d];
          dot *= scale;
          if (bias) {
            const int64_t bb = bias->dim(0) == 1 ? 0 : b, bh = bias->dim(1) == 1 ? 0 : h;
            dot += br[((bb * bias->dim(1) + bh) * Lq + i) * Lk + j];
          }
          s[j] = dot;
          mx = std::max(mx, dot);
        }
        double sum = 0;
        for (int64_t j = 0; j < valid; ++j) sum += (s[j] = std::exp(s[j] - mx));
        for (int64_t e = 0; e < Dv; ++e) {
          double acc = 0;
          for (int64_t j = 0; j < valid; ++j) acc += s[j] / sum * vr[((b * H + h) * Lk + j) * Dv + e];
          out[((b * H + h) * Lq + i) * Dv + e] = acc;
        }
      }
  return out;
}

TEST(CpuOpsAttention, PlainBiasedCausalAndUnequalLengths) {
  const int64_t B = 2, H = 3, Lq = 5, Lk = 7, D = 8, Dv = 6;
  const Tensor q = randn({B, H, Lq, D}, 10), k = randn({B, H, Lk, D}, 11), v = randn({B, H, Lk, Dv}, 12);
  const double s = 1.0 / std::sqrt(8.0);
  expect_close(ops::attention(q, k, v), {B, H, Lq, Dv}, ref_attention(q, k, v, nullptr, false, s), 1e-5, "plain");
  expect_close(ops::attention(q, k, v, nullptr, true), {B, H, Lq, Dv}, ref_attention(q, k, v, nullptr, true, s), 1e-5,
               "causal");
  expect_close(ops::attention(q, k, v, nullptr, false, 0.3f), {B, H, Lq, Dv}, ref_attention(q, k, v, nullptr, false, 0.3),
               1e-5, "scale");
  for (Shape bs : {Shape{1, 1, Lq, Lk}, Shape{B, 1, Lq, Lk}, Shape{1, H, Lq, Lk}, Shape{B, H, Lq, Lk}}) {
    const Tensor bias = randn(bs, 13, 2.0f);
    expect_close(ops::attention(q, k, v, &bias), {B, H, Lq, Dv}, ref_attention(q, k, v, &bias, false, s), 1e-5,
                 "bias " + shape_string(bs));
    expect_close(ops::attention(q, k, v, &bias, true), {B, H, Lq, Dv}, ref_attention(q, k, v, &bias, true, s), 1e-5,
                 "causal bias " + shape_string(bs));
  }
  // A -inf bias masks a key completely.
  Tensor mask = Tensor::zeros({1, 1, Lq, Lk});
  for (int64_t i = 0; i < Lq; ++i) mask.f32()[i * Lk + 2] = -INFINITY;
  expect_close(ops::attention(q, k, v, &mask), {B, H, Lq, Dv}, ref_attention(q, k, v, &mask, false, s), 1e-5, "-inf mask");
  // Lq > Lk with causal: later queries see every key.
  const Tensor q2 = randn({1, 2, 9, 4}, 14), k2 = randn({1, 2, 4, 4}, 15), v2 = randn({1, 2, 4, 4}, 16);
  expect_close(ops::attention(q2, k2, v2, nullptr, true), {1, 2, 9, 4}, ref_attention(q2, k2, v2, nullptr, true, 0.5), 1e-5,
               "Lq > Lk causal");
}

TEST(CpuOpsAttention, LongSequencesSpanSeveralQueryBlocks) {
  // The backend keeps about 4M scores at a time: 4000 queries over 1100 keys is two blocks.
  const Tensor q = randn({1, 1, 4000, 4}, 17), k = randn({1, 1, 1100, 4}, 18), v = randn({1, 1, 1100, 3}, 19);
  expect_close(ops::attention(q, k, v), {1, 1, 4000, 3}, ref_attention(q, k, v, nullptr, false, 0.5), 1e-5, "long");
  expect_close(ops::attention(q, k, v, nullptr, true), {1, 1, 4000, 3}, ref_attention(q, k, v, nullptr, true, 0.5), 1e-5,
               "long causal");
}

TEST(CpuOpsAttention, ShapeErrors) {
  const Tensor q = randn({1, 2, 3, 4}, 1), k = randn({1, 2, 5, 4}, 2), v = randn({1, 2, 5, 4}, 3);
  EXPECT_NE(error_of([&] { ops::attention(q, randn({1, 2, 5, 3}, 4), v); }).find("disagree"), std::string::npos);
  EXPECT_NE(error_of([&] { ops::attention(q, k, randn({1, 2, 6, 4}, 4)); }).find("disagree"), std::string::npos);
  EXPECT_NE(error_of([&] { ops::attention(randn({2, 3, 4}, 1), k, v); }).find("[B, H, L, D]"), std::string::npos);
  const Tensor bad_bias = randn({1, 2, 3, 4}, 5);
  EXPECT_NE(error_of([&] { ops::attention(q, k, v, &bad_bias); }).find("does not broadcast"), std::string::npos);
}

// --------------------------------------------------------------------------------------------
// normalization and softmax

TEST(CpuOpsNorm, LayerNormAndRmsNorm) {
  const int64_t D = 33;
  const Tensor x = randn({2, 5, D}, 20, 3.0f);
  const Tensor w = randn({D}, 21), b = randn({D}, 22);
  const Ref xr = as_ref(x), wr = as_ref(w), br = as_ref(b);
  for (int variant = 0; variant < 3; ++variant) {
    Ref ln(xr.size()), rms(xr.size());
    for (size_t r = 0; r < xr.size() / D; ++r) {
      double mean = 0, var = 0, ss = 0;
      for (int64_t i = 0; i < D; ++i) mean += xr[r * D + i];
      mean /= D;
      for (int64_t i = 0; i < D; ++i) var += (xr[r * D + i] - mean) * (xr[r * D + i] - mean);
      var /= D;
      for (int64_t i = 0; i < D; ++i) ss += xr[r * D + i] * xr[r * D + i];
      for (int64_t i = 0; i < D; ++i) {
        double v = (xr[r * D + i] - mean) / std::sqrt(var + 1e-6);
        if (variant >= 1) v *= wr[i];
        if (variant == 2) v += br[i];
        ln[r * D + i] = v;
        rms[r * D + i] = xr[r * D + i] / std::sqrt(ss / D + 1e-6) * (variant >= 1 ? wr[i] : 1.0);
      }
    }
    const Tensor* wp = variant >= 1 ? &w : nullptr;
    const Tensor* bp = variant == 2 ? &b : nullptr;
    expect_close(ops::layer_norm(x, wp, bp, 1e-6f), x.shape(), ln, 1e-5, "layer_norm " + std::to_string(variant));
    expect_close(ops::rms_norm(x, wp, 1e-6f), x.shape(), rms, 1e-5, "rms_norm " + std::to_string(variant));
  }
  // Parameters stored narrower are read as their values.
  const Tensor w16 = convert(w, DType::BF16);
  const Tensor w16_as_f32 = to_f32(w16);
  EXPECT_LT(test::max_abs_diff(ops::rms_norm(x, &w16, 1e-6f), ops::rms_norm(x, &w16_as_f32, 1e-6f)), 1e-6);
  const Tensor wrong = randn({D + 1}, 23);
  EXPECT_NE(error_of([&] { ops::layer_norm(x, &wrong, nullptr, 1e-5f); }).find("does not have 33 entries"), std::string::npos);
}

TEST(CpuOpsNorm, GroupNorm) {
  for (const auto& [shape, groups] : std::vector<std::pair<Shape, int>>{
           {{2, 6, 4, 5}, 3}, {{2, 6, 4, 5}, 1}, {{1, 6, 3, 3}, 6}, {{3, 8, 7}, 2}, {{2, 4}, 2}}) {
    const Tensor x = randn(shape, 30, 2.0f);
    const int64_t N = shape[0], C = shape[1], S = x.numel() / (N * C), cpg = C / groups;
    const Tensor w = randn({C}, 31), b = randn({C}, 32);
    const Ref xr = as_ref(x), wr = as_ref(w), br = as_ref(b);
    Ref out(xr.size());
    for (int64_t n = 0; n < N; ++n)
      for (int64_t g = 0; g < groups; ++g) {
        double mean = 0, var = 0;
        const int64_t base = (n * C + g * cpg) * S, cnt = cpg * S;
        for (int64_t i = 0; i < cnt; ++i) mean += xr[base + i];
        mean /= cnt;
        for (int64_t i = 0; i < cnt; ++i) var += (xr[base + i] - mean) * (xr[base + i] - mean);
        var /= cnt;
        for (int64_t i = 0; i < cnt; ++i) {
          const int64_t c = g * cpg + i / S;
          out[base + i] = (xr[base + i] - mean) / std::sqrt(var + 1e-5) * wr[c] + br[c];
        }
      }
    expect_close(ops::group_norm(x, groups, &w, &b, 1e-5f), shape, out, 1e-5, shape_string(shape));
  }
  EXPECT_NE(error_of([] { ops::group_norm(randn({1, 6, 2, 2}, 1), 4, nullptr, nullptr, 1e-5f); }).find("do not split"),
            std::string::npos);
}

TEST(CpuOpsNorm, SoftmaxIsStableForLargeValues) {
  Tensor x = randn({3, 4, 17}, 40, 5.0f);
  x.f32()[0] = 1000.0f;  // exp would overflow without the max shift
  x.f32()[18] = -1000.0f;
  const Ref xr = as_ref(x);
  Ref out(xr.size());
  for (size_t r = 0; r < xr.size() / 17; ++r) {
    double mx = -INFINITY, sum = 0;
    for (int i = 0; i < 17; ++i) mx = std::max(mx, xr[r * 17 + i]);
    for (int i = 0; i < 17; ++i) sum += std::exp(xr[r * 17 + i] - mx);
    for (int i = 0; i < 17; ++i) out[r * 17 + i] = std::exp(xr[r * 17 + i] - mx) / sum;
  }
  expect_close(ops::softmax(x), x.shape(), out);
}

// --------------------------------------------------------------------------------------------
// activations and elementwise

TEST(CpuOpsElementwise, Activations) {
  const Tensor x = randn({3, 7, 11}, 50, 3.0f);
  const Ref xr = as_ref(x);
  const double pi = 3.14159265358979323846;
  const std::vector<std::pair<Activation, std::function<double(double)>>> cases = {
      {Activation::SiLU, [](double v) { return v / (1 + std::exp(-v)); }},
      {Activation::GeluTanh,
       [pi](double v) { return 0.5 * v * (1 + std::tanh(std::sqrt(2 / pi) * (v + 0.044715 * v * v * v))); }},
      {Activation::GeluErf, [](double v) { return 0.5 * v * (1 + std::erf(v / std::sqrt(2.0))); }},
      {Activation::QuickGelu, [](double v) { return v / (1 + std::exp(-1.702 * v)); }},
      {Activation::ReLU, [](double v) { return v > 0 ? v : 0; }},
      {Activation::Tanh, [](double v) { return std::tanh(v); }},
      {Activation::Sigmoid, [](double v) { return 1 / (1 + std::exp(-v)); }},
  };
  for (const auto& [a, f] : cases) {
    Ref out(xr.size());
    for (size_t i = 0; i < xr.size(); ++i) out[i] = f(xr[i]);
    expect_close(ops::activation(x, a), x.shape(), out, 1e-5, "activation " + std::to_string(static_cast<int>(a)));
  }
  expect_close(ops::silu(x), x.shape(), as_ref(ops::activation(x, Activation::SiLU)));
  Ref leaky(xr.size()), aff(xr.size()), clp(xr.size());
  for (size_t i = 0; i < xr.size(); ++i) {
    leaky[i] = xr[i] >= 0 ? xr[i] : 0.2 * xr[i];
    aff[i] = xr[i] * 1.5 + 0.25;
    clp[i] = std::min(std::max(xr[i], -1.0), 2.0);
  }
  expect_close(ops::leaky_relu(x, 0.2f), x.shape(), leaky);
  expect_close(ops::affine(x, 1.5f, 0.25f), x.shape(), aff);
  expect_close(ops::clamp(x, -1.0f, 2.0f), x.shape(), clp);
  // Extreme inputs stay finite where the functions are.
  const Tensor big = Tensor::from_vector({4}, {-200.0f, -90.0f, 90.0f, 200.0f});
  for (const auto& [a, f] : cases) {
    const std::vector<float> r = to_vector(ops::activation(big, a));
    for (float v : r) EXPECT_FALSE(std::isnan(v)) << static_cast<int>(a);
  }
}

TEST(CpuOpsElementwise, PReluPerChannelAndShared) {
  const Tensor x = randn({2, 3, 4, 5}, 51);
  const Tensor per = Tensor::from_vector({3}, {0.1f, -0.5f, 2.0f});
  const Tensor one = Tensor::from_vector({1}, {0.25f});
  const Ref xr = as_ref(x);
  Ref a(xr.size()), b(xr.size());
  for (size_t i = 0; i < xr.size(); ++i) {
    const int64_t c = (static_cast<int64_t>(i) / 20) % 3;
    const double s = c == 0 ? 0.1 : c == 1 ? -0.5 : 2.0;
    a[i] = xr[i] >= 0 ? xr[i] : s * xr[i];
    b[i] = xr[i] >= 0 ? xr[i] : 0.25 * xr[i];
  }
  expect_close(ops::prelu(x, per), x.shape(), a, 1e-6);
  expect_close(ops::prelu(x, one), x.shape(), b, 1e-6);
  EXPECT_NE(error_of([&] { ops::prelu(x, Tensor::full({2}, 0.1f)); }).find("2 slopes for 3 channels"), std::string::npos);
}

// NumPy-style broadcasting done the slow way: every output index mapped back into each input.
Ref ref_broadcast(const Tensor& a, const Tensor& b, const Shape& out, const std::function<double(double, double)>& f) {
  const Ref ar = as_ref(a), br = as_ref(b);
  const size_t nd = out.size();
  auto offset = [&](const Shape& s, const std::vector<int64_t>& idx) {
    int64_t off = 0;
    for (size_t d = 0; d < s.size(); ++d) {
      const int64_t i = idx[nd - s.size() + d];
      off = off * s[d] + (s[d] == 1 ? 0 : i);
    }
    return off;
  };
  Ref r(static_cast<size_t>(shape_numel(out)));
  std::vector<int64_t> idx(nd, 0);
  for (size_t flat = 0; flat < r.size(); ++flat) {
    int64_t rem = static_cast<int64_t>(flat);
    for (size_t d = nd; d-- > 0;) {
      idx[d] = rem % out[d];
      rem /= out[d];
    }
    r[flat] = f(ar[offset(a.shape(), idx)], br[offset(b.shape(), idx)]);
  }
  return r;
}

TEST(CpuOpsElementwise, BroadcastingBinaryOps) {
  struct Case {
    Shape a, b, out;
  };
  const std::vector<Case> cases = {
      {{2, 3, 4}, {2, 3, 4}, {2, 3, 4}}, {{2, 3, 4}, {4}, {2, 3, 4}},       {{2, 3, 4}, {3, 1}, {2, 3, 4}},
      {{2, 1, 4}, {1, 3, 1}, {2, 3, 4}}, {{5}, {2, 3, 5}, {2, 3, 5}},       {{1}, {2, 2}, {2, 2}},
      {{}, {2, 3}, {2, 3}},              {{2, 3}, {}, {2, 3}},              {{3, 1, 5, 1}, {1, 4, 1, 6}, {3, 4, 5, 6}},
      {{2, 0, 3}, {3}, {2, 0, 3}},       {{7, 1}, {1, 1}, {7, 1}},
  };
  const std::vector<std::pair<std::string, std::function<double(double, double)>>> fns = {
      {"add", [](double x, double y) { return x + y; }},
      {"sub", [](double x, double y) { return x - y; }},
      {"mul", [](double x, double y) { return x * y; }},
      {"div", [](double x, double y) { return x / y; }},
  };
  uint32_t seed = 60;
  for (const auto& c : cases) {
    const Tensor a = randn(c.a, seed++), b = ops::affine(randn(c.b, seed++), 1.0f, 3.0f);  // b away from 0 for div
    const std::string what = shape_string(c.a) + " with " + shape_string(c.b);
    expect_close(ops::add(a, b), c.out, ref_broadcast(a, b, c.out, fns[0].second), 1e-6, "add " + what);
    expect_close(ops::sub(a, b), c.out, ref_broadcast(a, b, c.out, fns[1].second), 1e-6, "sub " + what);
    expect_close(ops::mul(a, b), c.out, ref_broadcast(a, b, c.out, fns[2].second), 1e-6, "mul " + what);
    expect_close(ops::div(a, b), c.out, ref_broadcast(a, b, c.out, fns[3].second), 1e-6, "div " + what);
  }
  // Narrow dtypes are read as their values.
  const Tensor a = randn({4, 5}, 70);
  const Tensor b16 = convert(randn({5}, 71), DType::F16);
  expect_close(ops::mul(a, b16), {4, 5}, ref_broadcast(a, to_f32(b16), {4, 5}, fns[2].second), 1e-6, "f16 operand");
  const std::string msg = error_of([] { ops::add(Tensor::zeros({2, 3}), Tensor::zeros({4})); });
  EXPECT_EQ(msg, "cannot broadcast [2, 3] with [4]");
}

// --------------------------------------------------------------------------------------------
// layout

TEST(CpuOpsLayout, PermuteAnyOrderAndDtype) {
  const Shape s = {2, 3, 4, 5};
  const Tensor x = randn(s, 80);
  const Ref xr = as_ref(x);
  for (const std::vector<int>& perm : std::vector<std::vector<int>>{
           {0, 1, 2, 3}, {3, 2, 1, 0}, {0, 2, 1, 3}, {1, 0, 3, 2}, {2, 3, 0, 1}, {0, 1, 3, 2}, {-1, 0, -2, 1}}) {
    std::vector<int> p(perm);
    for (int& d : p)
      if (d < 0) d += 4;
    Shape os(4);
    for (int i = 0; i < 4; ++i) os[i] = s[p[i]];
    Ref out(xr.size());
    int64_t flat = 0;
    for (int64_t i0 = 0; i0 < os[0]; ++i0)
      for (int64_t i1 = 0; i1 < os[1]; ++i1)
        for (int64_t i2 = 0; i2 < os[2]; ++i2)
          for (int64_t i3 = 0; i3 < os[3]; ++i3) {
            int64_t src[4];
            const int64_t oi[4] = {i0, i1, i2, i3};
            for (int d = 0; d < 4; ++d) src[p[d]] = oi[d];
            out[flat++] = xr[((src[0] * s[1] + src[1]) * s[2] + src[2]) * s[3] + src[3]];
          }
    expect_close(ops::permute(x, perm), os, out, 0.0 + 1e-12, "permute");
    // Byte-moving ops keep narrow dtypes as they are.
    const Tensor xb = convert(x, DType::BF16);
    const Tensor pb = ops::permute(xb, perm);
    EXPECT_EQ(pb.dtype(), DType::BF16);
    EXPECT_EQ(to_vector(pb), to_vector(convert(ops::permute(to_f32(xb), perm), DType::BF16)));
  }
  EXPECT_EQ(to_vector(ops::permute(Tensor::full({}, 4.0f), {})), std::vector<float>{4.0f});
  EXPECT_NE(error_of([&] { ops::permute(x, {0, 0, 1, 2}); }).find("repeated"), std::string::npos);
  EXPECT_NE(error_of([&] { ops::permute(x, {0, 1, 2}); }).find("3 dims"), std::string::npos);
  EXPECT_NE(error_of([&] { ops::permute(x, {0, 1, 2, 4}); }).find("out of range"), std::string::npos);
}

TEST(CpuOpsLayout, ConcatSliceChunk) {
  const Tensor a = randn({2, 3, 4}, 90), b = randn({2, 5, 4}, 91), c = randn({2, 1, 4}, 92);
  const Tensor cat = ops::concat({a, b, c}, 1);
  ASSERT_EQ(cat.shape(), (Shape{2, 9, 4}));
  const Ref ar = as_ref(a), br = as_ref(b), cr = as_ref(c), catr = as_ref(cat);
  for (int64_t n = 0; n < 2; ++n)
    for (int64_t j = 0; j < 9; ++j)
      for (int64_t k = 0; k < 4; ++k) {
        const double want = j < 3 ? ar[(n * 3 + j) * 4 + k] : j < 8 ? br[(n * 5 + j - 3) * 4 + k] : cr[n * 4 + k];
        ASSERT_EQ(catr[(n * 9 + j) * 4 + k], want);
      }
  // Slices undo the concat, along any dimension; chunk cuts equal parts.
  EXPECT_EQ(to_vector(ops::slice(cat, 1, 3, 8)), to_vector(b));
  EXPECT_EQ(to_vector(ops::slice(cat, -2, 0, 3)), to_vector(a));
  const Tensor last = ops::concat({a, randn({2, 3, 2}, 93)}, -1);
  EXPECT_EQ(last.shape(), (Shape{2, 3, 6}));
  EXPECT_EQ(to_vector(ops::slice(last, 2, 0, 4)), to_vector(a));
  const Tensor first = ops::concat({a, a}, 0);
  EXPECT_EQ(first.shape(), (Shape{4, 3, 4}));
  EXPECT_EQ(to_vector(ops::slice(first, 0, 2, 4)), to_vector(a));
  EXPECT_EQ(ops::slice(a, 1, 2, 2).shape(), (Shape{2, 0, 4}));
  const auto parts = ops::chunk(cat, 3, 1);
  ASSERT_EQ(parts.size(), 3u);
  EXPECT_EQ(to_vector(ops::concat(parts, 1)), to_vector(cat));
  EXPECT_EQ(to_vector(parts[1]), to_vector(ops::slice(cat, 1, 3, 6)));
  const Tensor a16 = convert(a, DType::F16);
  EXPECT_EQ(ops::concat({a16, a16}, 2).dtype(), DType::F16);
  EXPECT_EQ(to_vector(ops::slice(ops::concat({a16, a16}, 2), 2, 4, 8)), to_vector(a16));
  EXPECT_NE(error_of([&] { ops::concat({a, randn({3, 3, 4}, 1)}, 1); }).find("does not match"), std::string::npos);
  EXPECT_NE(error_of([&] { ops::concat({a, a16}, 1); }).find("does not match"), std::string::npos);
  EXPECT_NE(error_of([&] { ops::slice(a, 1, 2, 4); }).find("out of range"), std::string::npos);
  EXPECT_NE(error_of([&] { ops::slice(a, 1, -1, 2); }).find("out of range"), std::string::npos);
  EXPECT_NE(error_of([&] { ops::chunk(a, 2, 1); }).find("does not split"), std::string::npos);
}

TEST(CpuOpsLayout, EmbeddingLooksUpRowsOfAnyDtype) {
  const Tensor table = randn({10, 4}, 100);
  Tensor ids = Tensor::empty({2, 3}, DType::I64);
  const int64_t idv[6] = {0, 9, 3, 3, 7, 1};
  for (int i = 0; i < 6; ++i) ids.data<int64_t>()[i] = idv[i];
  const Ref tr = as_ref(table);
  Ref want;
  for (int64_t id : idv)
    for (int d = 0; d < 4; ++d) want.push_back(tr[id * 4 + d]);
  expect_close(ops::embedding(ids, table), {2, 3, 4}, want, 1e-12);
  const Tensor t16 = convert(table, DType::BF16);
  EXPECT_EQ(to_vector(ops::embedding(ids, t16)), to_vector(ops::embedding(ids, to_f32(t16))));
  const Tensor fids = Tensor::from_vector({2}, {9.0f, 0.0f});
  EXPECT_EQ(to_vector(ops::embedding(fids, table)), to_vector(ops::slice(ops::concat({table, table}, 0), 0, 9, 11)));
  ids.data<int64_t>()[4] = 10;
  EXPECT_NE(error_of([&] { ops::embedding(ids, table); }).find("token id 10 outside the vocabulary of 10"), std::string::npos);
  ids.data<int64_t>()[4] = -1;
  EXPECT_NE(error_of([&] { ops::embedding(ids, table); }).find("outside the vocabulary"), std::string::npos);
  EXPECT_NE(error_of([&] { ops::embedding(Tensor::from_vector({1}, {1.5f}), table); }).find("outside"), std::string::npos);
  EXPECT_NE(error_of([&] { ops::embedding(Tensor::from_vector({1}, {1e30f}), table); }).find("outside"), std::string::npos);
}

TEST(CpuOpsLayout, EmbeddingIdsPast2To24StayExact) {
  // fp32 cannot hold 2^24 + 1: integer ids must not pass through it.
  const int64_t V = (int64_t(1) << 24) + 3;
  Tensor table = Tensor::empty({V, 1}, DType::U8);
  for (int64_t i = 0; i < V; ++i) table.data<uint8_t>()[i] = static_cast<uint8_t>(i % 251);
  Tensor ids = Tensor::empty({2}, DType::I64);
  ids.data<int64_t>()[0] = (int64_t(1) << 24) + 1;
  ids.data<int64_t>()[1] = (int64_t(1) << 24) + 2;
  const std::vector<float> out = to_vector(ops::embedding(ids, table));
  EXPECT_EQ(out[0], static_cast<float>(((int64_t(1) << 24) + 1) % 251));
  EXPECT_EQ(out[1], static_cast<float>(((int64_t(1) << 24) + 2) % 251));
  Tensor ids32 = Tensor::empty({1}, DType::I32);
  ids32.data<int32_t>()[0] = (1 << 24) + 1;
  EXPECT_EQ(to_vector(ops::embedding(ids32, table))[0], out[0]);
}

TEST(CpuOpsLayout, RopeRotatesInterleavedPairs) {
  const int64_t B = 2, H = 3, L = 5, D = 8;
  const Tensor x = randn({B, H, L, D}, 110);
  const Tensor cs = randn({L, D / 2}, 111), sn = randn({L, D / 2}, 112);
  const Tensor csb = randn({B, L, D / 2}, 113), snb = randn({B, L, D / 2}, 114);
  for (bool per_batch : {false, true}) {
    const Ref xr = as_ref(x), cr = as_ref(per_batch ? csb : cs), sr = as_ref(per_batch ? snb : sn);
    Ref out(xr.size());
    for (int64_t b = 0; b < B; ++b)
      for (int64_t h = 0; h < H; ++h)
        for (int64_t l = 0; l < L; ++l)
          for (int64_t i = 0; i < D / 2; ++i) {
            const int64_t base = ((b * H + h) * L + l) * D + 2 * i;
            const int64_t ci = (per_batch ? b * L * (D / 2) : 0) + l * (D / 2) + i;
            out[base] = cr[ci] * xr[base] - sr[ci] * xr[base + 1];
            out[base + 1] = sr[ci] * xr[base] + cr[ci] * xr[base + 1];
          }
    expect_close(per_batch ? ops::rope(x, csb, snb) : ops::rope(x, cs, sn), x.shape(), out, 1e-6,
                 per_batch ? "per batch" : "shared");
  }
  EXPECT_NE(error_of([&] { ops::rope(x, randn({4, 4}, 1), randn({4, 4}, 2)); }).find("do not match"), std::string::npos);
  EXPECT_NE(error_of([&] { ops::rope(randn({1, 1, 2, 3}, 1), cs, sn); }).find("even D"), std::string::npos);
}

// --------------------------------------------------------------------------------------------
// image ops

Ref ref_conv2d(const Tensor& x, const Tensor& w, const Tensor* bias, int stride, int pad, int groups) {
  const int64_t N = x.dim(0), C = x.dim(1), H = x.dim(2), W = x.dim(3);
  const int64_t O = w.dim(0), Cg = w.dim(1), kh = w.dim(2), kw = w.dim(3);
  const int64_t Ho = (H + 2 * pad - kh) / stride + 1, Wo = (W + 2 * pad - kw) / stride + 1, Og = O / groups;
  const Ref xr = as_ref(x), wr = as_ref(w);
  const Ref br = bias ? as_ref(*bias) : Ref();
  Ref out(static_cast<size_t>(N * O * Ho * Wo));
  for (int64_t n = 0; n < N; ++n)
    for (int64_t o = 0; o < O; ++o) {
      const int64_t g = o / Og;
      for (int64_t oy = 0; oy < Ho; ++oy)
        for (int64_t ox = 0; ox < Wo; ++ox) {
          double s = bias ? br[o] : 0.0;
          for (int64_t c = 0; c < Cg; ++c)
            for (int64_t ky = 0; ky < kh; ++ky)
              for (int64_t kx = 0; kx < kw; ++kx) {
                const int64_t iy = oy * stride - pad + ky, ix = ox * stride - pad + kx;
                if (iy < 0 || iy >= H || ix < 0 || ix >= W) continue;
                s += xr[((n * C + g * Cg + c) * H + iy) * W + ix] * wr[((o * Cg + c) * kh + ky) * kw + kx];
              }
          out[((n * O + o) * Ho + oy) * Wo + ox] = s;
        }
    }
  return out;
}

TEST(CpuOpsImage, Conv2dStridePaddingGroupsAndPointwise) {
  struct Case {
    int64_t N, C, H, W, O, k;
    int stride, pad, groups;
    bool bias;
    DType wdt;
  };
  const std::vector<Case> cases = {
      {2, 4, 9, 11, 6, 3, 1, 1, 1, true, DType::F32},  {1, 4, 9, 11, 6, 3, 2, 0, 1, true, DType::F32},
      {2, 4, 10, 7, 6, 3, 2, 1, 2, false, DType::F32}, {1, 6, 8, 8, 6, 3, 1, 1, 6, true, DType::F32},
      {2, 5, 7, 9, 3, 1, 1, 0, 1, true, DType::F32},   {1, 5, 7, 9, 3, 1, 2, 0, 1, true, DType::F32},
      {1, 3, 12, 13, 4, 5, 3, 2, 1, true, DType::F32}, {1, 4, 6, 6, 4, 3, 1, 1, 1, true, DType::BF16},
      {1, 4, 6, 6, 8, 1, 1, 0, 2, true, DType::F16},   {1, 2, 3, 3, 2, 3, 1, 0, 1, false, DType::F32},
  };
  uint32_t seed = 120;
  for (const auto& c : cases) {
    const Tensor x = randn({c.N, c.C, c.H, c.W}, seed++);
    const Tensor w = convert(randn({c.O, c.C / c.groups, c.k, c.k}, seed++, 0.3f), c.wdt);
    const Tensor b = randn({c.O}, seed++);
    const int64_t Ho = (c.H + 2 * c.pad - c.k) / c.stride + 1, Wo = (c.W + 2 * c.pad - c.k) / c.stride + 1;
    const std::string what = "conv C" + std::to_string(c.C) + " k" + std::to_string(c.k) + " s" + std::to_string(c.stride) +
                             " p" + std::to_string(c.pad) + " g" + std::to_string(c.groups);
    expect_close(ops::conv2d(x, w, c.bias ? &b : nullptr, c.stride, c.pad, c.groups), {c.N, c.O, Ho, Wo},
                 ref_conv2d(x, w, c.bias ? &b : nullptr, c.stride, c.pad, c.groups), 1e-5, what);
  }
}

TEST(CpuOpsImage, Conv2dLargeImageUsesSeveralIm2colBands) {
  // 16 channels x 3x3 over 400 columns: the backend's ~16M-float column buffer holds 291 output
  // rows, so the 300 rows are done in two bands. A full reference loop is slow under the
  // sanitizers, so the reference formula checks a sample of outputs: the rows at both bands'
  // borders and 40 random rows, every column of some and every 37th of the others.
  const int64_t C = 16, H = 300, W = 400;
  const Tensor x = randn({1, C, H, W}, 130);
  const Tensor w = randn({2, C, 3, 3}, 131, 0.2f);
  const Tensor b = randn({2}, 132);
  const Tensor y = ops::conv2d(x, w, &b, 1, 1);
  ASSERT_EQ(y.shape(), (Shape{1, 2, H, W}));
  const Ref xr = as_ref(x), wr = as_ref(w), br = as_ref(b);
  auto at = [&](int64_t o, int64_t oy, int64_t ox) {
    double s = br[o];
    for (int64_t c = 0; c < C; ++c)
      for (int64_t ky = 0; ky < 3; ++ky)
        for (int64_t kx = 0; kx < 3; ++kx) {
          const int64_t iy = oy - 1 + ky, ix = ox - 1 + kx;
          if (iy >= 0 && iy < H && ix >= 0 && ix < W) s += xr[(c * H + iy) * W + ix] * wr[((o * C + c) * 3 + ky) * 3 + kx];
        }
    return s;
  };
  std::mt19937 rng(133);
  std::vector<int64_t> rows = {0, 1, 289, 290, 291, 292, 298, 299};
  for (int i = 0; i < 40; ++i) rows.push_back(static_cast<int64_t>(rng() % H));
  double num = 0, den = 0;
  for (int64_t oy : rows)
    for (int64_t ox = 0; ox < W; ox += (oy % 3 == 0 ? 1 : 37))
      for (int64_t o = 0; o < 2; ++o) {
        const double ref = at(o, oy, ox), got = y.f32()[(o * H + oy) * W + ox];
        num += (got - ref) * (got - ref);
        den += ref * ref;
      }
  EXPECT_LT(std::sqrt(num / den), 1e-5);
}

TEST(CpuOpsImage, Conv2dErrors) {
  const Tensor x = randn({1, 4, 5, 5}, 140);
  EXPECT_NE(error_of([&] { ops::conv2d(x, randn({2, 3, 3, 3}, 1)); }).find("does not match weight"), std::string::npos);
  EXPECT_NE(error_of([&] { ops::conv2d(x, randn({3, 2, 3, 3}, 1), nullptr, 1, 0, 2); }).find("does not match weight"),
            std::string::npos);
  EXPECT_NE(error_of([&] { ops::conv2d(x, randn({2, 4, 7, 7}, 1)); }).find("smaller than the kernel"), std::string::npos);
  // A kernel that does not fit even with the padding must not produce a phantom output row
  // (5 + 2 - 8 = -1, which truncating division by the stride 2 turns into 0 rows "+ 1").
  EXPECT_NE(error_of([&] { ops::conv2d(x, randn({2, 4, 8, 8}, 1), nullptr, 2, 1); }).find("smaller than the kernel"),
            std::string::npos);
  EXPECT_NE(error_of([&] { ops::conv2d(x, randn({2, 4, 3, 3}, 1), nullptr, 0, 0); }).find("bad stride"), std::string::npos);
  EXPECT_NE(error_of([&] { ops::conv2d(randn({4, 5, 5}, 1), randn({2, 4, 3, 3}, 1)); }).find("[N, C, H, W]"),
            std::string::npos);
  const Tensor bias = randn({3}, 1);
  EXPECT_NE(error_of([&] { ops::conv2d(x, randn({2, 4, 3, 3}, 1), &bias); }).find("bias"), std::string::npos);
}

TEST(CpuOpsImage, PadUpsamplePixelShuffleMaxPool) {
  const Tensor x = randn({2, 3, 5, 7}, 150);
  const Ref xr = as_ref(x);
  // pad2d
  {
    const int l = 1, r = 2, t = 3, b = 0;
    Ref out;
    for (int64_t p = 0; p < 6; ++p)
      for (int64_t y = 0; y < 5 + t + b; ++y)
        for (int64_t xx = 0; xx < 7 + l + r; ++xx) {
          const int64_t iy = y - t, ix = xx - l;
          out.push_back(iy >= 0 && iy < 5 && ix >= 0 && ix < 7 ? xr[(p * 5 + iy) * 7 + ix] : -2.5);
        }
    expect_close(ops::pad2d(x, l, r, t, b, -2.5f), {2, 3, 8, 10}, out, 1e-12, "pad2d");
  }
  // upsample_nearest
  for (int f : {1, 2, 3}) {
    Ref out;
    for (int64_t p = 0; p < 6; ++p)
      for (int64_t y = 0; y < 5 * f; ++y)
        for (int64_t xx = 0; xx < 7 * f; ++xx) out.push_back(xr[(p * 5 + y / f) * 7 + xx / f]);
    expect_close(ops::upsample_nearest(x, f), {2, 3, 5 * f, 7 * f}, out, 1e-12, "upsample " + std::to_string(f));
  }
  // pixel_shuffle: out[n, c, y*r+i, x*r+j] = in[n, c*r*r + i*r + j, y, x], and unshuffle inverts it.
  {
    const int r = 2;
    const Tensor s = randn({2, 8, 3, 4}, 151);
    const Ref sr = as_ref(s);
    Ref out(sr.size());
    for (int64_t n = 0; n < 2; ++n)
      for (int64_t c = 0; c < 2; ++c)
        for (int64_t y = 0; y < 6; ++y)
          for (int64_t xx = 0; xx < 8; ++xx)
            out[((n * 2 + c) * 6 + y) * 8 + xx] = sr[((n * 8 + c * 4 + (y % r) * r + xx % r) * 3 + y / r) * 4 + xx / r];
    const Tensor shuffled = ops::pixel_shuffle(s, r);
    expect_close(shuffled, {2, 2, 6, 8}, out, 1e-12, "pixel_shuffle");
    EXPECT_EQ(to_vector(ops::pixel_unshuffle(shuffled, r)), to_vector(s));
    const Tensor img = randn({1, 3, 6, 9}, 152);
    EXPECT_EQ(ops::pixel_unshuffle(img, 3).shape(), (Shape{1, 27, 2, 3}));
    EXPECT_EQ(to_vector(ops::pixel_shuffle(ops::pixel_unshuffle(img, 3), 3)), to_vector(img));
    EXPECT_NE(error_of([&] { ops::pixel_shuffle(randn({1, 6, 2, 2}, 1), 2); }).find("do not divide"), std::string::npos);
    EXPECT_NE(error_of([&] { ops::pixel_unshuffle(randn({1, 1, 5, 4}, 1), 2); }).find("does not divide"), std::string::npos);
  }
  // max_pool2d
  for (const auto& [k, st, pd] : std::vector<std::tuple<int, int, int>>{{2, 2, 0}, {3, 1, 1}, {3, 2, 1}, {5, 1, 2}, {2, 3, 0}}) {
    const int64_t Ho = (5 + 2 * pd - k) / st + 1, Wo = (7 + 2 * pd - k) / st + 1;
    Ref out;
    for (int64_t p = 0; p < 6; ++p)
      for (int64_t oy = 0; oy < Ho; ++oy)
        for (int64_t ox = 0; ox < Wo; ++ox) {
          double m = -INFINITY;
          for (int ky = 0; ky < k; ++ky)
            for (int kx = 0; kx < k; ++kx) {
              const int64_t iy = oy * st - pd + ky, ix = ox * st - pd + kx;
              if (iy >= 0 && iy < 5 && ix >= 0 && ix < 7) m = std::max(m, xr[(p * 5 + iy) * 7 + ix]);
            }
          out.push_back(m);
        }
    expect_close(ops::max_pool2d(x, k, st, pd), {2, 3, Ho, Wo}, out, 1e-12,
                 "max_pool k" + std::to_string(k) + " s" + std::to_string(st) + " p" + std::to_string(pd));
  }
  EXPECT_NE(error_of([&] { ops::max_pool2d(x, 8, 2, 1); }).find("smaller than the kernel"), std::string::npos);
  EXPECT_NE(error_of([&] { ops::max_pool2d(x, 0, 1, 0); }).find("bad kernel"), std::string::npos);
}

}  // namespace
}  // namespace fluxgen
