#include "pipeline/inpaint.h"

#include <algorithm>
#include <cmath>

#include "imaging/a1111_resize.h"
#include "imaging/alpha_composite.h"
#include "imaging/resize.h"
#include "util/error.h"

namespace fluxgen {

std::optional<PreparedInpaint> prepare_inpaint(const InpaintRequest& r) {
  const Image image = to_rgb(r.image);
  const Image mask = to_gray(r.mask);
  check(mask.width == image.width && mask.height == image.height, "inpainting: the mask is ", mask.width, "x",
        mask.height, " but the image is ", image.width, "x", image.height);
  PreparedInpaint p;
  if (r.only_masked) {
    const auto plan = adetailer::plan_only_masked(mask, r.mask_blur, r.padding, r.width, r.height);
    if (!plan) return std::nullopt;
    p.crop = plan->crop;
    p.process_mask = plan->crop_mask;
    p.overlay = imaging::inpaint_overlay(image, plan->blurred_mask);
    const Image cropped = imaging::crop(image, plan->crop.x1, plan->crop.y1, plan->crop.x2, plan->crop.y2);
    p.process_image = imaging::a1111_resize_image(cropped, imaging::ResizeMode::ResizeAndFill, r.width, r.height);
    return p;
  }
  const Image blurred = adetailer::a1111_mask_blur(mask, r.mask_blur, r.mask_blur);
  if (std::all_of(blurred.pixels.begin(), blurred.pixels.end(), [](uint8_t v) { return v == 0; })) return std::nullopt;
  const auto mode = static_cast<imaging::ResizeMode>(std::min(r.resize_mode, 2));
  p.process_mask = to_gray(imaging::a1111_resize_image(blurred, mode, r.width, r.height));
  p.process_image = to_rgb(imaging::a1111_resize_image(image, mode, r.width, r.height));
  // A1111 doubles the mask for the overlay in "whole picture" mode (np.clip(mask * 2, 0, 255)), so
  // the blurred edge leans toward the generated image.
  Image doubled = p.process_mask;
  for (uint8_t& v : doubled.pixels) v = static_cast<uint8_t>(std::min(255, v * 2));
  p.overlay = imaging::inpaint_overlay(p.process_image, doubled);
  return p;
}

Tensor latent_keep_mask(const Image& process_mask, int64_t h, int64_t w) {
  const Image small = imaging::resize(to_gray(process_mask), static_cast<int>(w), static_cast<int>(h),
                                      imaging::Filter::Bicubic);
  Tensor keep = Tensor::empty({1, 1, h, w});
  for (int64_t i = 0; i < h * w; ++i)
    keep.f32()[i] = 1.0f - std::nearbyint(static_cast<float>(small.pixels[static_cast<size_t>(i)]) / 255.0f);
  return keep;
}

Image finish_inpaint(const PreparedInpaint& p, const Image& generated) {
  Image base;
  if (p.crop) {
    // apply_overlay: the result resized into the crop ("crop and resize") on a transparent canvas.
    base = Image(p.overlay.width, p.overlay.height, 4);
    const Image fitted = imaging::a1111_resize_image(to_rgb(generated), imaging::ResizeMode::CropAndResize,
                                                     p.crop->width(), p.crop->height());
    imaging::paste(base, to_rgba(fitted), p.crop->x1, p.crop->y1);
  } else {
    base = to_rgba(generated);
  }
  return to_rgb(imaging::alpha_composite(base, p.overlay));
}

}  // namespace fluxgen
