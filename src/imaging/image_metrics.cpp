#include "imaging/image_metrics.h"

#include <cmath>
#include <limits>
#include <vector>

#include "tensor/convert.h"
#include "util/error.h"

namespace fluxgen {

namespace {

struct Plane {
  int64_t h = 0, w = 0;
  std::vector<double> v;
  double at(int64_t y, int64_t x) const { return v[static_cast<size_t>(y * w + x)]; }
};

Plane luma(const Tensor& t, const char* what) {
  check(t.device() == Device::CPU, what, ": host tensors only");
  check((t.ndim() == 4 && t.dim(0) == 1 && t.dim(1) == 3) || (t.ndim() == 3 && t.dim(0) == 3), what,
        ": expected an RGB image [1, 3, H, W], got ", t.describe());
  const Tensor f = to_f32(t);
  Plane p;
  p.h = t.dim(-2);
  p.w = t.dim(-1);
  const int64_t n = p.h * p.w;
  p.v.resize(static_cast<size_t>(n));
  const float* d = f.f32();
  for (int64_t i = 0; i < n; ++i) p.v[i] = 0.2125 * d[i] + 0.7154 * d[n + i] + 0.0721 * d[2 * n + i];
  return p;
}

void check_same(const Plane& a, const Plane& b) {
  check(a.h == b.h && a.w == b.w, "image metrics: sizes differ (", a.w, "x", a.h, " vs ", b.w, "x", b.h, ")");
}

// scipy.ndimage's 'reflect' (half-sample symmetric: d c b a | a b c d).
int64_t reflect(int64_t i, int64_t n) {
  if (n == 1) return 0;
  const int64_t period = 2 * n;
  i %= period;
  if (i < 0) i += period;
  return i < n ? i : period - 1 - i;
}

// Separable Gaussian filter, σ = 1.5, radius 5 (skimage: truncate 3.5).
Plane gaussian(const Plane& in) {
  constexpr int r = 5;
  double k[2 * r + 1], sum = 0.0;
  for (int i = -r; i <= r; ++i) sum += k[i + r] = std::exp(-0.5 * i * i / (1.5 * 1.5));
  for (double& x : k) x /= sum;
  Plane tmp = in, out = in;
  for (int64_t y = 0; y < in.h; ++y)
    for (int64_t x = 0; x < in.w; ++x) {
      double s = 0.0;
      for (int i = -r; i <= r; ++i) s += k[i + r] * in.at(y, reflect(x + i, in.w));
      tmp.v[static_cast<size_t>(y * in.w + x)] = s;
    }
  for (int64_t y = 0; y < in.h; ++y)
    for (int64_t x = 0; x < in.w; ++x) {
      double s = 0.0;
      for (int i = -r; i <= r; ++i) s += k[i + r] * tmp.at(reflect(y + i, in.h), x);
      out.v[static_cast<size_t>(y * in.w + x)] = s;
    }
  return out;
}

Plane product(const Plane& a, const Plane& b) {
  Plane p = a;
  for (size_t i = 0; i < p.v.size(); ++i) p.v[i] = a.v[i] * b.v[i];
  return p;
}

}  // namespace

double psnr_luma(const Tensor& ta, const Tensor& tb) {
  const Plane a = luma(ta, "psnr"), b = luma(tb, "psnr");
  check_same(a, b);
  double mse = 0.0;
  for (size_t i = 0; i < a.v.size(); ++i) mse += (a.v[i] - b.v[i]) * (a.v[i] - b.v[i]);
  mse /= static_cast<double>(a.v.size());
  return mse == 0.0 ? std::numeric_limits<double>::infinity() : 10.0 * std::log10(1.0 / mse);
}

double ssim_luma(const Tensor& ta, const Tensor& tb) {
  const Plane a = luma(ta, "ssim"), b = luma(tb, "ssim");
  check_same(a, b);
  check(a.h >= 11 && a.w >= 11, "ssim: images must be at least 11x11, got ", a.w, "x", a.h);
  const Plane ma = gaussian(a), mb = gaussian(b);
  const Plane maa = gaussian(product(a, a)), mbb = gaussian(product(b, b)), mab = gaussian(product(a, b));
  const double c1 = 0.01 * 0.01, c2 = 0.03 * 0.03;
  double total = 0.0;
  int64_t count = 0;
  for (int64_t y = 5; y < a.h - 5; ++y)
    for (int64_t x = 5; x < a.w - 5; ++x) {
      const size_t i = static_cast<size_t>(y * a.w + x);
      const double ux = ma.v[i], uy = mb.v[i];
      const double vx = maa.v[i] - ux * ux, vy = mbb.v[i] - uy * uy, vxy = mab.v[i] - ux * uy;
      total += ((2 * ux * uy + c1) * (2 * vxy + c2)) / ((ux * ux + uy * uy + c1) * (vx + vy + c2));
      ++count;
    }
  return total / static_cast<double>(count);
}

}  // namespace fluxgen
