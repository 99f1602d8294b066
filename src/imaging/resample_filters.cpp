#include "imaging/resample_filters.h"

#include <algorithm>
#include <cmath>

#include "util/error.h"

namespace fluxgen::imaging {

namespace {
double sinc(double x) {
  if (x == 0.0) return 1.0;
  x *= M_PI;
  return std::sin(x) / x;
}
}  // namespace

double pil_filter(Filter filter, double x) {
  switch (filter) {
    case Filter::Bilinear:
      x = std::fabs(x);
      return x < 1.0 ? 1.0 - x : 0.0;
    case Filter::Bicubic: {
      constexpr double a = -0.5;
      x = std::fabs(x);
      if (x < 1.0) return ((a + 2.0) * x - (a + 3.0)) * x * x + 1;
      if (x < 2.0) return (((x - 5) * x + 8) * x - 4) * a;
      return 0.0;
    }
    case Filter::Lanczos:
      // Truncated sinc windowed by sinc(x/3); Pillow's interval is [-3, 3).
      return (-3.0 <= x && x < 3.0) ? sinc(x) * sinc(x / 3) : 0.0;
    case Filter::Nearest: break;
  }
  fail("pil_filter: nearest has no kernel");
}

double pil_filter_support(Filter filter) {
  switch (filter) {
    case Filter::Bilinear: return 1.0;
    case Filter::Bicubic: return 2.0;
    case Filter::Lanczos: return 3.0;
    case Filter::Nearest: break;
  }
  fail("pil_filter_support: nearest has no kernel");
}

AxisWeights pil_axis_weights(int in_size, double in0, double in1, int out_size, Filter filter) {
  check(out_size > 0 && in_size > 0, "resample: sizes must be positive");
  const double scale = (in1 - in0) / out_size;
  const double filterscale = std::max(scale, 1.0);
  const double support = pil_filter_support(filter) * filterscale;
  AxisWeights w;
  w.taps = static_cast<int>(std::ceil(support)) * 2 + 1;
  w.first.resize(out_size);
  w.count.resize(out_size);
  w.weight.assign(static_cast<size_t>(out_size) * w.taps, 0.0);
  const double ss = 1.0 / filterscale;
  for (int xx = 0; xx < out_size; ++xx) {
    const double center = in0 + (xx + 0.5) * scale;
    // C's (int) truncates toward zero; Pillow relies on that for the + 0.5 rounding.
    int xmin = static_cast<int>(center - support + 0.5);
    if (xmin < 0) xmin = 0;
    int xmax = static_cast<int>(center + support + 0.5);
    if (xmax > in_size) xmax = in_size;
    xmax -= xmin;
    xmax = std::clamp(xmax, 0, w.taps);
    double* k = &w.weight[static_cast<size_t>(xx) * w.taps];
    double total = 0.0;
    for (int x = 0; x < xmax; ++x) {
      k[x] = pil_filter(filter, (x + xmin - center + 0.5) * ss);
      total += k[x];
    }
    if (total != 0.0)
      for (int x = 0; x < xmax; ++x) k[x] /= total;
    w.first[xx] = xmin;
    w.count[xx] = xmax;
  }
  return w;
}

AxisWeights torch_axis_weights(int in_size, int out_size, Filter filter) {
  check(out_size > 0 && in_size > 0, "resample: sizes must be positive");
  check(filter == Filter::Bilinear || filter == Filter::Bicubic, "torch_axis_weights: bilinear or bicubic only");
  // PyTorch computes the scale and source coordinates in the tensor's float type.
  const float scale = static_cast<float>(in_size) / static_cast<float>(out_size);
  AxisWeights w;
  w.taps = 4;
  w.first.resize(out_size);
  w.count.resize(out_size);
  w.weight.assign(static_cast<size_t>(out_size) * 4, 0.0);
  for (int i = 0; i < out_size; ++i) {
    float src = scale * (static_cast<float>(i) + 0.5f) - 0.5f;
    int idx[4];
    double wt[4];
    int n;
    if (filter == Filter::Bilinear) {
      if (src < 0) src = 0;
      const int i0 = static_cast<int>(src);
      const float l1 = src - static_cast<float>(i0);
      idx[0] = i0, idx[1] = std::min(i0 + 1, in_size - 1);
      wt[0] = 1.0f - l1, wt[1] = l1;
      n = 2;
    } else {
      constexpr float A = -0.75f;
      const float fl = std::floor(src);
      const int i0 = static_cast<int>(fl);
      const float t = src - fl;
      const auto cc1 = [](float x) { return ((A + 2) * x - (A + 3)) * x * x + 1; };
      const auto cc2 = [](float x) { return ((A * x - 5 * A) * x + 8 * A) * x - 4 * A; };
      wt[0] = cc2(t + 1.0f), wt[1] = cc1(t), wt[2] = cc1(1.0f - t), wt[3] = cc2(2.0f - t);
      for (int k = 0; k < 4; ++k) idx[k] = std::clamp(i0 - 1 + k, 0, in_size - 1);
      n = 4;
    }
    // Border clamping repeats indices: fold the weights onto the contiguous window they span.
    const int lo = *std::min_element(idx, idx + n), hi = *std::max_element(idx, idx + n);
    w.first[i] = lo;
    w.count[i] = hi - lo + 1;
    for (int k = 0; k < n; ++k) w.weight[static_cast<size_t>(i) * 4 + (idx[k] - lo)] += wt[k];
  }
  return w;
}

}  // namespace fluxgen::imaging
