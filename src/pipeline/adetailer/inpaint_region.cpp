#include "pipeline/adetailer/inpaint_region.h"

#include <algorithm>

#include "imaging/a1111_resize.h"
#include "imaging/opencv_filters.h"
#include "util/error.h"

namespace fluxgen::adetailer {

namespace {

// Python's floor division (desired_diff // 2 with a non-negative diff is plain division, but keep
// the semantics for any sign).
int floor_div2(int v) { return v >= 0 ? v / 2 : -((-v + 1) / 2); }

int a1111_kernel(int sigma) { return 2 * static_cast<int>(2.5 * sigma + 0.5) + 1; }

}  // namespace

Image a1111_mask_blur(const Image& mask, int blur_x, int blur_y) {
  check(mask.channels == 1, "mask blur: expected a 1-channel mask, got ", mask.channels, " channels");
  check(blur_x >= 0 && blur_y >= 0, "mask blur must not be negative, got ", blur_x, ", ", blur_y);
  check(blur_x <= kMaxMaskBlur && blur_y <= kMaxMaskBlur, "mask blur ", std::max(blur_x, blur_y), " is too large (at most ",
        kMaxMaskBlur, "; its kernel would be ", a1111_kernel(std::max(blur_x, blur_y)), " pixels wide)");
  Image out = mask;
  if (blur_x > 0) out = imaging::opencv_gaussian_blur(out, a1111_kernel(blur_x), 1, blur_x);
  if (blur_y > 0) out = imaging::opencv_gaussian_blur(out, 1, a1111_kernel(blur_y), blur_y);
  return out;
}

std::optional<CropRegion> get_crop_region(const Image& mask, int pad) {
  check(mask.channels == 1, "crop region: expected a 1-channel mask");
  check(pad >= 0, "crop region: padding must not be negative, got ", pad);
  int x1 = mask.width, y1 = mask.height, x2 = 0, y2 = 0;
  for (int y = 0; y < mask.height; ++y)
    for (int x = 0; x < mask.width; ++x)
      if (mask.pixel(x, y)[0]) {
        x1 = std::min(x1, x), y1 = std::min(y1, y);
        x2 = std::max(x2, x + 1), y2 = std::max(y2, y + 1);
      }
  if (x2 == 0) return std::nullopt;
  // Pillow's getbbox gives (left, upper, right + 1, lower + 1).
  return CropRegion{std::max(x1 - pad, 0), std::max(y1 - pad, 0), std::min(x2 + pad, mask.width),
                    std::min(y2 + pad, mask.height)};
}

CropRegion expand_crop_region(CropRegion r, int processing_width, int processing_height, int image_width,
                              int image_height) {
  check(r.width() > 0 && r.height() > 0, "expand_crop_region: empty region");
  check(processing_width > 0 && processing_height > 0, "expand_crop_region: bad processing size ", processing_width,
        "x", processing_height);
  const double ratio_crop = static_cast<double>(r.width()) / r.height();
  const double ratio_processing = static_cast<double>(processing_width) / processing_height;
  // Grows [lo, hi] by diff (split as Python's // splits it), shifts it back inside [0, limit).
  const auto grow = [](int& lo, int& hi, int diff, int limit) {
    lo -= floor_div2(diff);
    hi += diff - floor_div2(diff);
    if (hi >= limit) {
      const int d = hi - limit;
      hi -= d, lo -= d;
    }
    if (lo < 0) hi -= lo, lo = 0;
    if (hi >= limit) hi = limit;
  };
  if (ratio_crop > ratio_processing) {
    const double desired_height = r.width() / ratio_processing;
    grow(r.y1, r.y2, static_cast<int>(desired_height - r.height()), image_height);  // int() truncates
  } else {
    const double desired_width = r.height() * ratio_processing;
    grow(r.x1, r.x2, static_cast<int>(desired_width - r.width()), image_width);
  }
  return r;
}

std::optional<OnlyMaskedPlan> plan_only_masked(const Image& mask, int mask_blur, int padding, int width, int height) {
  OnlyMaskedPlan plan;
  plan.blurred_mask = a1111_mask_blur(mask, mask_blur, mask_blur);
  const auto region = get_crop_region(plan.blurred_mask, padding);
  if (!region) return std::nullopt;
  plan.crop = expand_crop_region(*region, width, height, mask.width, mask.height);
  Image cropped(plan.crop.width(), plan.crop.height(), 1);
  for (int y = 0; y < cropped.height; ++y)
    std::copy(plan.blurred_mask.pixel(plan.crop.x1, plan.crop.y1 + y),
              plan.blurred_mask.pixel(plan.crop.x1, plan.crop.y1 + y) + cropped.width, cropped.pixel(0, y));
  // resize_image mode 2 pastes onto an RGB canvas; its three channels are equal, so the gray
  // image carries the same values.
  plan.crop_mask = to_gray(imaging::a1111_resize_image(cropped, imaging::ResizeMode::ResizeAndFill, width, height));
  return plan;
}

}  // namespace fluxgen::adetailer
