#include "imaging/alpha_composite.h"

#include "util/error.h"

namespace fluxgen::imaging {

namespace {
constexpr int kPrecisionBits = 16 - 8 - 1;
inline uint32_t shift_for_div255(uint32_t a) { return ((a >> 8) + a) >> 8; }
}  // namespace

Image alpha_composite(const Image& dst_in, const Image& src_in) {
  check(dst_in.width == src_in.width && dst_in.height == src_in.height, "alpha_composite: images of different sizes");
  const Image dst = to_rgba(dst_in), src = to_rgba(src_in);
  Image out(dst.width, dst.height, 4);
  const size_t n = static_cast<size_t>(dst.width) * dst.height;
  for (size_t i = 0; i < n; ++i) {
    const uint8_t* d = &dst.pixels[4 * i];
    const uint8_t* s = &src.pixels[4 * i];
    uint8_t* o = &out.pixels[4 * i];
    if (s[3] == 0) {
      // Pillow copies the destination unchanged when the source is fully transparent.
      for (int c = 0; c < 4; ++c) o[c] = d[c];
      continue;
    }
    // Pillow's integer formula (AlphaComposite.c).
    const uint32_t blend = d[3] * (255u - s[3]);
    const uint32_t outa255 = s[3] * 255u + blend;
    const uint32_t coef1 = s[3] * 255u * 255u * (1u << kPrecisionBits) / outa255;
    const uint32_t coef2 = 255u * (1u << kPrecisionBits) - coef1;
    for (int c = 0; c < 3; ++c) {
      const uint32_t tmp = s[c] * coef1 + d[c] * coef2;
      o[c] = static_cast<uint8_t>(shift_for_div255(tmp + (0x80u << kPrecisionBits)) >> kPrecisionBits);
    }
    o[3] = static_cast<uint8_t>(shift_for_div255(outa255 + 0x80u));
  }
  return out;
}

Image inpaint_overlay(const Image& original, const Image& blurred_mask) {
  check(original.width == blurred_mask.width && original.height == blurred_mask.height,
        "inpainting: the mask is ", blurred_mask.width, "x", blurred_mask.height, " but the image is ", original.width,
        "x", original.height);
  Image out = to_rgba(original);
  const Image m = to_gray(blurred_mask);
  for (size_t i = 0, n = m.pixels.size(); i < n; ++i) out.pixels[4 * i + 3] = static_cast<uint8_t>(255 - m.pixels[i]);
  return out;
}

}  // namespace fluxgen::imaging
