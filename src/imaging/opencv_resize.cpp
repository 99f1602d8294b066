#include "imaging/opencv_resize.h"

#include <algorithm>
#include <cfloat>
#include <cmath>
#include <vector>

#include "util/error.h"

namespace fluxgen::imaging {

namespace {

// INTER_RESIZE_COEF_BITS: the interpolation weights are integers summing to 2048.
constexpr int kCoefScale = 2048;

// OpenCV's saturate_cast<short>(float): round half to even (lrintf in the default rounding mode).
int round_even(float v) { return static_cast<int>(std::nearbyint(v)); }

struct Taps {
  std::vector<int> index;   // first source index per output index
  std::vector<int> weight0; // weight of index (the other one, of index + 1, is weight1)
  std::vector<int> weight1;
};

// resizeGeneric's coefficient tables: f is computed in float from a double product. Along x,
// positions left of the first pixel or right of the last clamp to that pixel with weight 1; along
// y the weights are left as computed and only the row indices are clamped (both taps may then
// read the same edge row, each product rounded down separately, as OpenCV does).
Taps linear_taps(int in_size, int out_size, bool clamp_weights) {
  const double scale = 1.0 / (static_cast<double>(out_size) / in_size);
  Taps t;
  t.index.resize(out_size);
  t.weight0.resize(out_size);
  t.weight1.resize(out_size);
  for (int d = 0; d < out_size; ++d) {
    float f = static_cast<float>((d + 0.5) * scale - 0.5);
    int s = static_cast<int>(std::floor(f));
    f -= static_cast<float>(s);
    if (clamp_weights && s < 0) f = 0.0f, s = 0;
    if (clamp_weights && s >= in_size - 1) f = 0.0f, s = in_size - 1;
    t.index[d] = s;
    t.weight0[d] = round_even((1.0f - f) * kCoefScale);
    t.weight1[d] = round_even(f * kCoefScale);
  }
  return t;
}

// The 2×2 box average OpenCV uses for an exact halving (ResizeAreaFastVec: (sum + 2) >> 2).
Image halve(const Image& src, int width, int height) {
  Image out(width, height, src.channels);
  const int C = src.channels;
  for (int y = 0; y < height; ++y)
    for (int x = 0; x < width; ++x) {
      const uint8_t* a = src.pixel(2 * x, 2 * y);
      const uint8_t* b = src.pixel(2 * x, 2 * y + 1);
      uint8_t* o = out.pixel(x, y);
      for (int c = 0; c < C; ++c) o[c] = static_cast<uint8_t>((a[c] + a[C + c] + b[c] + b[C + c] + 2) >> 2);
    }
  return out;
}

}  // namespace

Image opencv_resize_linear(const Image& src, int width, int height) {
  check(!src.empty(), "opencv_resize_linear: empty image");
  check_image_size(width, height, "opencv_resize_linear target");
  if (width == src.width && height == src.height) return src;

  // cv::resize compares the scales, computed as 1 / (out / in), with the integer 2.
  const double sx = 1.0 / (static_cast<double>(width) / src.width), sy = 1.0 / (static_cast<double>(height) / src.height);
  if (std::abs(sx - 2.0) < DBL_EPSILON && std::abs(sy - 2.0) < DBL_EPSILON) return halve(src, width, height);

  const Taps tx = linear_taps(src.width, width, true), ty = linear_taps(src.height, height, false);
  const int C = src.channels;
  // Horizontal pass of every source row the vertical pass needs, values ×2048 in int.
  std::vector<int> rows(static_cast<size_t>(src.height) * width * C);
  std::vector<bool> done(static_cast<size_t>(src.height), false);
  auto horizontal = [&](int y) -> const int* {
    int* row = rows.data() + static_cast<size_t>(y) * width * C;
    if (!done[static_cast<size_t>(y)]) {
      const uint8_t* s = src.pixel(0, y);
      for (int x = 0; x < width; ++x) {
        const int i = tx.index[x], i1 = std::min(i + 1, src.width - 1);
        for (int c = 0; c < C; ++c)
          row[x * C + c] = s[i * C + c] * tx.weight0[x] + s[i1 * C + c] * tx.weight1[x];
      }
      done[static_cast<size_t>(y)] = true;
    }
    return row;
  };
  Image out(width, height, C);
  for (int y = 0; y < height; ++y) {
    const int i = std::clamp(ty.index[y], 0, src.height - 1), i1 = std::clamp(ty.index[y] + 1, 0, src.height - 1);
    const int* r0 = horizontal(i);
    const int* r1 = horizontal(i1);
    const int b0 = ty.weight0[y], b1 = ty.weight1[y];
    uint8_t* o = out.pixel(0, y);
    // VResizeLinear<uchar>: each product is pre-shifted so it fits 32 bits, then rounded once more.
    for (int k = 0; k < width * C; ++k)
      o[k] = static_cast<uint8_t>((((b0 * (r0[k] >> 4)) >> 16) + ((b1 * (r1[k] >> 4)) >> 16) + 2) >> 2);
  }
  return out;
}

}  // namespace fluxgen::imaging
