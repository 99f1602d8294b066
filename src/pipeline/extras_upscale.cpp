#include "pipeline/extras_upscale.h"

#include <algorithm>

#include "pipeline/infotext.h"
#include "util/error.h"

namespace fluxgen {

namespace {

// One upscaler's pass over the input, cropped to the target when asked (A1111's upscale()).
Image upscale_once(const ExtrasUpscale& s, const UpscalerChoice& choice, const Upscaler* model, const Image& image) {
  Image up = upscale_image(choice, model, image, extras_scale(s, image));
  if (!s.to_size || !s.crop) return up;
  // Pasted centred on a black canvas of the target size: cropped where larger, bordered where the
  // size rounding left it smaller.
  Image canvas(s.width, s.height, 3);
  const int left = s.width / 2 - up.width / 2, top = s.height / 2 - up.height / 2;
  for (int y = std::max(0, top); y < std::min(s.height, top + up.height); ++y) {
    const int x0 = std::max(0, left), x1 = std::min(s.width, left + up.width);
    if (x1 <= x0) break;
    std::copy_n(&up.pixels[(static_cast<size_t>(y - top) * up.width + (x0 - left)) * 3], static_cast<size_t>(x1 - x0) * 3,
                &canvas.pixels[(static_cast<size_t>(y) * s.width + x0) * 3]);
  }
  return canvas;
}

}  // namespace

double extras_scale(const ExtrasUpscale& s, const Image& image) {
  if (!s.to_size) return s.scale;
  return std::max(static_cast<double>(s.width) / image.width, static_cast<double>(s.height) / image.height);
}

Image extras_upscale(const ExtrasUpscale& s, const Upscaler* model_1, const Upscaler* model_2, const Image& image) {
  const Image rgb = to_rgb(image);
  if (s.upscaler_1.kind == UpscalerChoice::Kind::None) return rgb;
  Image out = upscale_once(s, s.upscaler_1, model_1, rgb);
  if (s.upscaler_2 && s.upscaler_2->kind != UpscalerChoice::Kind::None && s.upscaler_2_visibility > 0)
    out = blend_images(out, upscale_once(s, *s.upscaler_2, model_2, rgb), s.upscaler_2_visibility);
  return out;
}

std::string extras_infotext(const ExtrasUpscale& s) {
  if (s.upscaler_1.kind == UpscalerChoice::Kind::None) return "";
  InfotextParams p;
  if (s.to_size) p.emplace_back("Postprocess upscale to", std::to_string(s.width) + "x" + std::to_string(s.height));
  else p.emplace_back("Postprocess upscale by", infotext_number(s.scale));
  if (s.to_size && s.crop) p.emplace_back("Postprocess crop to", std::to_string(s.width) + "x" + std::to_string(s.height));
  p.emplace_back("Postprocess upscaler", s.upscaler_1.name);
  if (s.upscaler_2 && s.upscaler_2->kind != UpscalerChoice::Kind::None && s.upscaler_2_visibility > 0)
    p.emplace_back("Postprocess upscaler 2", s.upscaler_2->name);
  std::string text;
  for (const auto& [k, v] : p) text += (text.empty() ? "" : ", ") + k + ": " + infotext_quote(v);
  return text;
}

Image blend_images(const Image& a, const Image& b, double alpha) {
  check(a.width == b.width && a.height == b.height && a.channels == b.channels, "blend: images of ", a.width, "x",
        a.height, " and ", b.width, "x", b.height, " differ in size");
  Image out(a.width, a.height, a.channels);
  const float f = static_cast<float>(alpha);
  for (size_t i = 0; i < a.pixels.size(); ++i) {
    const float v = static_cast<float>(a.pixels[i]) + f * (static_cast<float>(b.pixels[i]) - static_cast<float>(a.pixels[i]));
    out.pixels[i] = v <= 0.0f ? 0 : v >= 255.0f ? 255 : static_cast<uint8_t>(v);
  }
  return out;
}

}  // namespace fluxgen
