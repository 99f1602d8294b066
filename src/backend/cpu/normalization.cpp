// CpuBackend: LayerNorm, RMSNorm, GroupNorm and softmax. Statistics accumulate in double so the
// fp32 engine stays within 1e-5 of the float64 references on long rows.
#include <cmath>

#include "backend/cpu/cpu_backend.h"
#include "util/error.h"

namespace fluxgen {

namespace {
// Optional per-feature parameter as fp32 (nullptr stays nullptr).
struct Param {
  Tensor t;
  const float* p = nullptr;
  Param(const Tensor* in, int64_t n, const char* op) {
    if (!in) return;
    t = cpu::as_f32(*in, op);
    check(t.numel() == n, op, ": parameter ", in->describe(), " does not have ", n, " entries");
    p = t.f32();
  }
};
}  // namespace

Tensor CpuBackend::layer_norm(const Tensor& x_in, const Tensor* weight, const Tensor* bias, float eps) {
  const Tensor x = cpu::as_f32(x_in, "layer_norm");
  const int64_t D = x.dim(-1), rows = x.numel() / D;
  Param w(weight, D, "layer_norm"), b(bias, D, "layer_norm");
  Tensor out = Tensor::empty(x.shape());
  const float* xp = x.f32();
  float* op = out.f32();
#pragma omp parallel for schedule(static) if (x.numel() > 65536)
  for (int64_t r = 0; r < rows; ++r) {
    const float* row = xp + r * D;
    double mean = 0.0;
    for (int64_t i = 0; i < D; ++i) mean += row[i];
    mean /= static_cast<double>(D);
    double var = 0.0;
    for (int64_t i = 0; i < D; ++i) var += (row[i] - mean) * (row[i] - mean);
    var /= static_cast<double>(D);
    const double inv = 1.0 / std::sqrt(var + eps);
    float* o = op + r * D;
    for (int64_t i = 0; i < D; ++i) {
      float v = static_cast<float>((row[i] - mean) * inv);
      if (w.p) v *= w.p[i];
      if (b.p) v += b.p[i];
      o[i] = v;
    }
  }
  return out;
}

Tensor CpuBackend::rms_norm(const Tensor& x_in, const Tensor* weight, float eps) {
  const Tensor x = cpu::as_f32(x_in, "rms_norm");
  const int64_t D = x.dim(-1), rows = x.numel() / D;
  Param w(weight, D, "rms_norm");
  Tensor out = Tensor::empty(x.shape());
  const float* xp = x.f32();
  float* op = out.f32();
#pragma omp parallel for schedule(static) if (x.numel() > 65536)
  for (int64_t r = 0; r < rows; ++r) {
    const float* row = xp + r * D;
    double ss = 0.0;
    for (int64_t i = 0; i < D; ++i) ss += static_cast<double>(row[i]) * row[i];
    const double inv = 1.0 / std::sqrt(ss / static_cast<double>(D) + eps);
    float* o = op + r * D;
    for (int64_t i = 0; i < D; ++i) {
      const float v = static_cast<float>(row[i] * inv);
      o[i] = w.p ? v * w.p[i] : v;
    }
  }
  return out;
}

Tensor CpuBackend::group_norm(const Tensor& x_in, int groups, const Tensor* weight, const Tensor* bias, float eps) {
  const Tensor x = cpu::as_f32(x_in, "group_norm");
  check(x.ndim() >= 2, "group_norm: input must be [N, C, ...], got ", x.describe());
  const int64_t N = x.dim(0), C = x.dim(1);
  check(groups > 0 && C % groups == 0, "group_norm: ", C, " channels do not split into ", groups, " groups");
  const int64_t spatial = x.numel() / (N * C), cpg = C / groups, group_size = cpg * spatial;
  Param w(weight, C, "group_norm"), b(bias, C, "group_norm");
  Tensor out = Tensor::empty(x.shape());
  const float* xp = x.f32();
  float* op = out.f32();
#pragma omp parallel for collapse(2) schedule(static) if (x.numel() > 65536)
  for (int64_t n = 0; n < N; ++n) {
    for (int64_t g = 0; g < groups; ++g) {
      const float* base = xp + (n * C + g * cpg) * spatial;
      double mean = 0.0;
      for (int64_t i = 0; i < group_size; ++i) mean += base[i];
      mean /= static_cast<double>(group_size);
      double var = 0.0;
      for (int64_t i = 0; i < group_size; ++i) var += (base[i] - mean) * (base[i] - mean);
      var /= static_cast<double>(group_size);
      const double inv = 1.0 / std::sqrt(var + eps);
      for (int64_t c = 0; c < cpg; ++c) {
        const int64_t ch = g * cpg + c;
        const float* in = base + c * spatial;
        float* o = op + (n * C + ch) * spatial;
        const float sw = w.p ? w.p[ch] : 1.0f, sb = b.p ? b.p[ch] : 0.0f;
        for (int64_t i = 0; i < spatial; ++i) o[i] = static_cast<float>((in[i] - mean) * inv) * sw + sb;
      }
    }
  }
  return out;
}

Tensor CpuBackend::softmax(const Tensor& x_in) {
  const Tensor x = cpu::as_f32(x_in, "softmax");
  const int64_t D = x.dim(-1), rows = x.numel() / D;
  Tensor out = Tensor::empty(x.shape());
  const float* xp = x.f32();
  float* op = out.f32();
#pragma omp parallel for schedule(static) if (x.numel() > 65536)
  for (int64_t r = 0; r < rows; ++r) {
    const float* row = xp + r * D;
    float* o = op + r * D;
    float mx = -INFINITY;
    for (int64_t i = 0; i < D; ++i) mx = std::max(mx, row[i]);
    double sum = 0.0;
    for (int64_t i = 0; i < D; ++i) {
      o[i] = std::exp(row[i] - mx);
      sum += o[i];
    }
    const float inv = static_cast<float>(1.0 / sum);
    for (int64_t i = 0; i < D; ++i) o[i] *= inv;
  }
  return out;
}

}  // namespace fluxgen
