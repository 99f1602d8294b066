#include "imaging/opencv_filters.h"

#include <algorithm>
#include <cmath>
#include <deque>

#include "util/error.h"

namespace fluxgen::imaging {

namespace {

// borderInterpolate(p, len, BORDER_REFLECT_101): mirrored about the edge pixels, repeatedly for
// windows wider than the image.
int reflect101(int p, int len) {
  if (len == 1) return 0;
  while (p < 0 || p >= len) p = p < 0 ? -p : 2 * (len - 1) - p;
  return p;
}

void check_mask(const Image& mask, const char* what) {
  check(!mask.empty(), what, ": empty image");
  check(mask.channels == 1, what, ": expected a 1-channel mask, got ", mask.channels, " channels");
}

// GaussianBlurFixedPoint: the horizontal pass keeps Σ k·p in units of 1/256 (16 bits, unrounded),
// the vertical pass multiplies by its own 1/256 weights and rounds once: (Σ + 2^15) >> 16.
// Each line is first extended by the mirrored border so the taps are a plain dot product.
Image blur_fixed_point(const Image& src, const std::vector<int>& kx, const std::vector<int>& ky) {
  const int W = src.width, H = src.height;
  const int rx = static_cast<int>(kx.size()) / 2, ry = static_cast<int>(ky.size()) / 2;
  std::vector<uint32_t> rows(static_cast<size_t>(W) * H);
  std::vector<uint32_t> line(static_cast<size_t>(W + 2 * rx));
  for (int y = 0; y < H; ++y) {
    for (int i = 0; i < W + 2 * rx; ++i) line[static_cast<size_t>(i)] = src.pixel(reflect101(i - rx, W), y)[0];
    uint32_t* out = rows.data() + static_cast<size_t>(y) * W;
    for (int x = 0; x < W; ++x) {
      uint32_t sum = 0;
      for (size_t k = 0; k < kx.size(); ++k) sum += static_cast<uint32_t>(kx[k]) * line[static_cast<size_t>(x) + k];
      out[x] = sum;
    }
  }
  // Vertically: accumulate whole rows, each source row (mirrored at the border) times its weight.
  Image out(W, H, 1);
  std::vector<uint64_t> acc(static_cast<size_t>(W));
  for (int y = 0; y < H; ++y) {
    std::fill(acc.begin(), acc.end(), 0);
    for (size_t k = 0; k < ky.size(); ++k) {
      const uint32_t* r = rows.data() + static_cast<size_t>(reflect101(y + static_cast<int>(k) - ry, H)) * W;
      const uint64_t w = static_cast<uint64_t>(ky[k]);
      for (int x = 0; x < W; ++x) acc[static_cast<size_t>(x)] += w * r[x];
    }
    uint8_t* o = out.pixel(0, y);
    for (int x = 0; x < W; ++x) o[x] = static_cast<uint8_t>(std::min<uint64_t>((acc[static_cast<size_t>(x)] + 32768) >> 16, 255));
  }
  return out;
}

// The best value (max for dilation, min for erosion) over [i − lo, i + hi] ∩ [0, n) for every i of
// one line, in O(n) with a monotonic queue, so any kernel size costs the same.
template <typename Better>
void sliding_best(const uint8_t* in, ptrdiff_t stride, int n, int lo, int hi, uint8_t* out, Better better) {
  std::deque<int> q;  // indices whose values are strictly worse than none after them
  int next = 0;       // next index to enter the window
  for (int i = 0; i < n; ++i) {
    const int last = std::min(n - 1, i + hi);
    for (; next <= last; ++next) {
      while (!q.empty() && !better(in[q.back() * stride], in[next * stride])) q.pop_back();
      q.push_back(next);
    }
    while (q.front() < i - lo) q.pop_front();
    out[i * stride] = in[q.front() * stride];
  }
}

template <typename Better>
Image morphology(const Image& mask, int64_t size, Better better, const char* what) {
  check_mask(mask, what);
  check(size >= 1, what, ": kernel size must be positive, got ", size);
  if (size == 1) return mask;
  // A window wider than twice the image covers all of it from every pixel.
  const int64_t limit = 2 * static_cast<int64_t>(std::max(mask.width, mask.height)) + 1;
  const int k = static_cast<int>(std::min(size, limit));
  const int lo = k / 2, hi = k - 1 - k / 2;
  // Separable: a rectangle's best is the best along x of the best along y.
  Image rows(mask.width, mask.height, 1), out(mask.width, mask.height, 1);
  for (int y = 0; y < mask.height; ++y) sliding_best(mask.pixel(0, y), 1, mask.width, lo, hi, rows.pixel(0, y), better);
  for (int x = 0; x < mask.width; ++x)
    sliding_best(rows.pixel(x, 0), mask.width, mask.height, lo, hi, out.pixel(x, 0), better);
  return out;
}

}  // namespace

std::vector<int> opencv_gaussian_kernel_8u(int size, double sigma) {
  check(size >= 1 && size % 2 == 1, "Gaussian blur: kernel size must be odd and positive, got ", size);
  check(sigma > 0 && std::isfinite(sigma), "Gaussian blur: sigma must be positive, got ", sigma);
  // getGaussianKernelBitExact: exp(−x²/(2σ²)) with x stepping in halves, normalised by its sum
  // (IEEE double throughout: OpenCV's softdouble is exact IEEE arithmetic).
  const int half = (size - 1) / 2;
  const double scale2 = -0.125 / (sigma * sigma);
  std::vector<double> values(static_cast<size_t>(half));
  double sum = 0;
  for (int i = 0, x = 1 - size; i < half; ++i, x += 2) {
    values[static_cast<size_t>(i)] = std::exp(static_cast<double>(x * x) * scale2);
    sum += values[static_cast<size_t>(i)];
  }
  sum = sum * 2 + 1;
  const double mul = 1.0 / sum;
  // getGaussianKernelFixedPoint_ED: round each side weight ×256 carrying the rounding error to
  // the next one; the centre takes whatever makes the sum exactly 256.
  std::vector<int> kernel(static_cast<size_t>(size));
  double err = 0;
  int total = 0;
  for (int i = 0; i < half; ++i) {
    const double adjusted = values[static_cast<size_t>(i)] * mul * 256.0 + err;
    const int v = static_cast<int>(std::nearbyint(adjusted));
    err = adjusted - v;
    kernel[static_cast<size_t>(i)] = kernel[static_cast<size_t>(size - 1 - i)] = v;
    total += v;
  }
  kernel[static_cast<size_t>(half)] = 256 - 2 * total;
  return kernel;
}

Image opencv_gaussian_blur(const Image& mask, int kernel_x, int kernel_y, double sigma) {
  check_mask(mask, "Gaussian blur");
  // cv::GaussianBlur: an axis of length 1 is not filtered (its kernel size becomes 1).
  if (mask.width == 1) kernel_x = 1;
  if (mask.height == 1) kernel_y = 1;
  if (kernel_x == 1 && kernel_y == 1) return mask;
  return blur_fixed_point(mask, opencv_gaussian_kernel_8u(kernel_x, sigma), opencv_gaussian_kernel_8u(kernel_y, sigma));
}

Image opencv_dilate(const Image& mask, int64_t size) {
  return morphology(mask, size, [](uint8_t a, uint8_t b) { return a > b; }, "dilate");
}

Image opencv_erode(const Image& mask, int64_t size) {
  return morphology(mask, size, [](uint8_t a, uint8_t b) { return a < b; }, "erode");
}

}  // namespace fluxgen::imaging
