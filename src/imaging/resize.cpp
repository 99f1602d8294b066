#include "imaging/resize.h"

#include <algorithm>
#include <cstdint>

#include "util/error.h"

namespace fluxgen::imaging {

namespace {

// Pillow: 8 bits of result, 2 bits of headroom for negative lobes and overshoot.
constexpr int kPrecisionBits = 32 - 8 - 2;

struct FixedWeights {
  int taps;
  std::vector<int> first, count;
  std::vector<int32_t> k;
};

// Pillow's normalize_coeffs_8bpc: round half away from zero to 22-bit fixed point.
FixedWeights to_fixed(const AxisWeights& w) {
  FixedWeights f{w.taps, w.first, w.count, std::vector<int32_t>(w.weight.size())};
  for (size_t i = 0; i < w.weight.size(); ++i) {
    const double v = w.weight[i] * (1 << kPrecisionBits);
    f.k[i] = static_cast<int32_t>(v < 0 ? -0.5 + v : 0.5 + v);
  }
  return f;
}

// Pillow's clip8: the accumulator (with its rounding bias) shifted down and clamped to 0..255.
inline uint8_t clip8(int32_t acc) {
  const int32_t v = acc >> kPrecisionBits;
  return static_cast<uint8_t>(v < 0 ? 0 : v > 255 ? 255 : v);
}

Image resample_horizontal(const Image& in, const FixedWeights& w, int out_width) {
  Image out(out_width, in.height, in.channels);
  const int C = in.channels;
  for (int y = 0; y < in.height; ++y) {
    const uint8_t* row = in.pixel(0, y);
    uint8_t* dst = out.pixel(0, y);
    for (int xx = 0; xx < out_width; ++xx) {
      const int32_t* k = &w.k[static_cast<size_t>(xx) * w.taps];
      const uint8_t* src = row + static_cast<size_t>(w.first[xx]) * C;
      for (int c = 0; c < C; ++c) {
        int32_t acc = 1 << (kPrecisionBits - 1);
        for (int x = 0; x < w.count[xx]; ++x) acc += src[x * C + c] * k[x];
        dst[xx * C + c] = clip8(acc);
      }
    }
  }
  return out;
}

Image resample_vertical(const Image& in, const FixedWeights& w, int out_height) {
  Image out(in.width, out_height, in.channels);
  const size_t stride = in.row_bytes();
  for (int yy = 0; yy < out_height; ++yy) {
    const int32_t* k = &w.k[static_cast<size_t>(yy) * w.taps];
    const uint8_t* src = in.pixel(0, w.first[yy]);
    uint8_t* dst = out.pixel(0, yy);
    for (size_t i = 0; i < stride; ++i) {
      int32_t acc = 1 << (kPrecisionBits - 1);
      for (int y = 0; y < w.count[yy]; ++y) acc += src[y * stride + i] * k[y];
      dst[i] = clip8(acc);
    }
  }
  return out;
}

// Pillow converts RGBA to premultiplied "RGBa" before filtering and back after, so transparent
// pixels' colours do not bleed into their neighbours.
void premultiply(Image& im) {
  for (size_t i = 0; i < im.pixels.size(); i += 4) {
    const unsigned a = im.pixels[i + 3];
    for (int c = 0; c < 3; ++c) {
      const unsigned t = im.pixels[i + c] * a + 128;
      im.pixels[i + c] = static_cast<uint8_t>(((t >> 8) + t) >> 8);
    }
  }
}

void unpremultiply(Image& im) {
  for (size_t i = 0; i < im.pixels.size(); i += 4) {
    const unsigned a = im.pixels[i + 3];
    if (a == 0 || a == 255) continue;
    for (int c = 0; c < 3; ++c) im.pixels[i + c] = static_cast<uint8_t>(std::min(255u, 255u * im.pixels[i + c] / a));
  }
}

// Pillow's ImagingScaleAffine: source positions accumulated in double from the box origin, which
// decides the rounding of every column exactly as Pillow does.
Image resize_nearest(const Image& in, int width, int height, const Box& box) {
  Image out(width, height, in.channels);
  const double ax = static_cast<double>(box.x1 - box.x0) / width;
  const double ay = static_cast<double>(box.y1 - box.y0) / height;
  const auto coord = [](double v) { return v < 0.0 ? -1 : static_cast<int>(v); };
  std::vector<int> xin(width, -1);
  double xo = box.x0 + ax * 0.5;
  for (int x = 0; x < width; ++x, xo += ax) {
    const int xi = coord(xo);
    if (xi >= 0 && xi < in.width) xin[x] = xi;
  }
  double yo = box.y0 + ay * 0.5;
  const int C = in.channels;
  for (int y = 0; y < height; ++y, yo += ay) {
    const int yi = coord(yo);
    if (yi < 0 || yi >= in.height) continue;  // left black, as Pillow's fill
    for (int x = 0; x < width; ++x)
      if (xin[x] >= 0) std::copy_n(in.pixel(xin[x], yi), C, out.pixel(x, y));
  }
  return out;
}

}  // namespace

Image resize(const Image& image, int width, int height, Filter filter, std::optional<Box> box_opt) {
  check(!image.empty(), "resize: empty image");
  check_image_size(width, height, "resize target");
  const Box box = box_opt.value_or(Box{0, 0, static_cast<float>(image.width), static_cast<float>(image.height)});
  check(box.x0 >= 0 && box.y0 >= 0, "resize: box offset can't be negative");
  check(box.x1 <= image.width && box.y1 <= image.height, "resize: box can't exceed the original image size");
  check(box.x1 - box.x0 >= 0 && box.y1 - box.y0 >= 0, "resize: box can't be empty");
  if (width == image.width && height == image.height && box.x0 == 0 && box.y0 == 0 && box.x1 == width &&
      box.y1 == height)
    return image;
  if (filter == Filter::Nearest) return resize_nearest(image, width, height, box);

  // Pillow's conditions, including comparing the box's far edge with the *target* size.
  const bool need_horizontal = width != image.width || box.x0 != 0 || box.x1 != width;
  const bool need_vertical = height != image.height || box.y0 != 0 || box.y1 != height;
  Image im = image;
  if (im.channels == 4) premultiply(im);
  if (need_horizontal) im = resample_horizontal(im, to_fixed(pil_axis_weights(image.width, box.x0, box.x1, width, filter)), width);
  if (need_vertical) im = resample_vertical(im, to_fixed(pil_axis_weights(image.height, box.y0, box.y1, height, filter)), height);
  if (im.channels == 4) unpremultiply(im);
  return im;
}

void paste(Image& dst, const Image& src, int x, int y) {
  const Image converted = dst.channels == src.channels ? Image() : dst.channels == 1 ? to_gray(src)
                                                                 : dst.channels == 3 ? to_rgb(src)
                                                                                     : to_rgba(src);
  const Image& s = dst.channels == src.channels ? src : converted;
  const int x0 = std::max(x, 0), y0 = std::max(y, 0);
  const int x1 = std::min(x + s.width, dst.width), y1 = std::min(y + s.height, dst.height);
  if (x0 >= x1 || y0 >= y1) return;
  for (int yy = y0; yy < y1; ++yy)
    std::copy_n(s.pixel(x0 - x, yy - y), static_cast<size_t>(x1 - x0) * s.channels, dst.pixel(x0, yy));
}

Image crop(const Image& image, int x1, int y1, int x2, int y2) {
  check(x2 > x1 && y2 > y1, "crop: empty region");
  Image out(x2 - x1, y2 - y1, image.channels);
  for (int y = std::max(y1, 0); y < std::min(y2, image.height); ++y)
    for (int x = std::max(x1, 0); x < std::min(x2, image.width); ++x)
      std::copy(image.pixel(x, y), image.pixel(x, y) + image.channels, out.pixel(x - x1, y - y1));
  return out;
}

}  // namespace fluxgen::imaging
