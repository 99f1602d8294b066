#include "io/image/image.h"

#include <algorithm>
#include <cmath>

#include "tensor/convert.h"
#include "util/error.h"

namespace fluxgen {

void check_image_size(int64_t width, int64_t height, std::string_view what) {
  check(width > 0 && height > 0, what, ": image size ", width, "x", height, " is empty");
  check(width <= kMaxImageSide && height <= kMaxImageSide, what, ": image size ", width, "x", height,
        " exceeds the limit of ", kMaxImageSide, " pixels per side");
  check(width * height <= kMaxImagePixels, what, ": image size ", width, "x", height, " (", width * height,
        " pixels) exceeds the limit of ", kMaxImagePixels, " pixels");
}

Image::Image(int w, int h, int c) : width(w), height(h), channels(c) {
  check_image_size(w, h, "image");
  check(c == 1 || c == 3 || c == 4, "image: ", c, " channels, expected 1, 3 or 4");
  pixels.assign(static_cast<size_t>(w) * h * c, 0);
}

namespace {

// Pillow's ITU-R 601-2 luma in 16.16 fixed point (Convert.c L24).
uint8_t luma(const uint8_t* p) {
  return static_cast<uint8_t>((p[0] * 19595u + p[1] * 38470u + p[2] * 7471u + 0x8000u) >> 16);
}

// Pillow's DIV255 with rounding: (v + 128 + ((v + 128) >> 8)) >> 8.
uint8_t div255(unsigned v) {
  const unsigned t = v + 128;
  return static_cast<uint8_t>(((t >> 8) + t) >> 8);
}

}  // namespace

namespace {

// Gray is replicated into R, G and B; an alpha channel is dropped (3) or made opaque where the
// source has none (4).
Image to_color(const Image& image, int channels) {
  if (image.channels == channels) return image;
  Image out(image.width, image.height, channels);
  const size_t n = static_cast<size_t>(image.width) * image.height;
  for (size_t i = 0; i < n; ++i) {
    const uint8_t* p = image.pixels.data() + i * image.channels;
    uint8_t* q = out.pixels.data() + i * channels;
    if (image.channels == 1) {
      q[0] = q[1] = q[2] = p[0];
    } else {
      q[0] = p[0], q[1] = p[1], q[2] = p[2];
    }
    if (channels == 4) q[3] = image.channels == 4 ? p[3] : 255;
  }
  return out;
}

}  // namespace

Image to_rgb(const Image& image) { return to_color(image, 3); }

Image to_rgba(const Image& image) { return to_color(image, 4); }

Image to_gray(const Image& image) {
  if (image.channels == 1) return image;
  Image out(image.width, image.height, 1);
  const size_t n = static_cast<size_t>(image.width) * image.height;
  for (size_t i = 0; i < n; ++i) out.pixels[i] = luma(image.pixels.data() + i * image.channels);
  return out;
}

Image flatten_alpha(const Image& image, uint8_t r, uint8_t g, uint8_t b) {
  if (image.channels != 4) return to_rgb(image);
  Image out(image.width, image.height, 3);
  const uint8_t bg[3] = {r, g, b};
  const size_t n = static_cast<size_t>(image.width) * image.height;
  for (size_t i = 0; i < n; ++i) {
    const uint8_t* p = image.pixels.data() + i * 4;
    const unsigned a = p[3];
    for (int c = 0; c < 3; ++c) out.pixels[i * 3 + c] = div255(bg[c] * (255 - a) + p[c] * a);
  }
  return out;
}

Tensor image_to_tensor(const Image& image, PixelRange range) {
  check(!image.empty(), "image_to_tensor: empty image");
  const int C = image.channels;
  const int64_t HW = static_cast<int64_t>(image.width) * image.height;
  Tensor t = Tensor::empty({1, C, image.height, image.width});
  float* dst = t.f32();
  // As A1111's img2img: np.float32(v) / 255, then 2 * x - 1 for the VAE.
  for (int64_t i = 0; i < HW; ++i) {
    for (int c = 0; c < C; ++c) {
      const float v = static_cast<float>(image.pixels[i * C + c]) / 255.0f;
      dst[c * HW + i] = range == PixelRange::ZeroOne ? v : 2.0f * v - 1.0f;
    }
  }
  return t;
}

Image tensor_to_image(const Tensor& tensor, PixelRange range) {
  const Tensor t = to_f32(tensor);
  const bool batched = t.ndim() == 4;
  check((t.ndim() == 3 || (batched && t.dim(0) == 1)), "tensor_to_image: expected [1, C, H, W] or [C, H, W], got ",
        t.describe());
  const int64_t C = t.dim(-3), H = t.dim(-2), W = t.dim(-1);
  check(C == 1 || C == 3 || C == 4, "tensor_to_image: ", C, " channels in ", t.describe(), ", expected 1, 3 or 4");
  check_image_size(W, H, "tensor_to_image");
  Image out(static_cast<int>(W), static_cast<int>(H), static_cast<int>(C));
  const float* src = t.f32();
  const int64_t HW = H * W;
  for (int64_t c = 0; c < C; ++c) {
    for (int64_t i = 0; i < HW; ++i) {
      float v = src[c * HW + i];
      if (range == PixelRange::MinusOneOne) v = (v + 1.0f) / 2.0f;
      // NaN fails both comparisons and lands on 0, as numpy's cast of a clamped NaN does on x86.
      v = v > 0.0f ? std::min(v, 1.0f) : 0.0f;
      out.pixels[i * C + c] = static_cast<uint8_t>(255.0f * v);
    }
  }
  return out;
}

}  // namespace fluxgen
