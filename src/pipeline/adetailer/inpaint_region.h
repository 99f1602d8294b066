// A1111/Forge's preparation of an inpainting mask for "Inpaint area: Only masked"
// (modules/processing.py StableDiffusionProcessingImg2Img.init, modules/masking.py), which
// ADetailer's img2img pass goes through with mask_blur = ad_mask_blur and padding =
// ad_inpaint_only_masked_padding:
//   1. mask blur, Forge's (and A1111 >= 1.6's) way: cv2.GaussianBlur(mask, (k, 1), σx), then
//      cv2.GaussianBlur(mask, (1, k), σy), k = 2·int(2.5σ + 0.5) + 1 — in 8-bit fixed point, each
//      call rounding (imaging/opencv_filters.h). (A1111 before 1.6 used PIL's GaussianBlur;
//      Forge never did.)
//   2. crop region = bounding box of the non-zero pixels of the *blurred* mask, ± padding, clipped
//      to the image (get_crop_region_v2); nothing when the mask is black;
//   3. grown to the processing aspect ratio (expand_crop_region) and clamped to the image;
//   4. the mask crop resized to the processing size with A1111's "resize and fill" (mode 2).
#pragma once
#include <optional>

#include "io/image/image.h"

namespace fluxgen::adetailer {

struct CropRegion {
  int x1 = 0, y1 = 0, x2 = 0, y2 = 0;  // [x1, x2) × [y1, y2)
  int width() const { return x2 - x1; }
  int height() const { return y2 - y1; }
  bool operator==(const CropRegion&) const = default;
};

// The largest mask blur accepted: four times the A1111 and ADetailer sliders' 64 (a σ of 256 is a
// 1281-pixel kernel; a request for more is refused rather than left to run for minutes).
constexpr int kMaxMaskBlur = 256;

// Step 1 on a 1-channel mask (0 leaves an axis untouched).
Image a1111_mask_blur(const Image& mask, int blur_x, int blur_y);

// masking.get_crop_region_v2: the bounding box of non-zero pixels grown by `pad` and clipped.
std::optional<CropRegion> get_crop_region(const Image& mask, int pad);

// masking.expand_crop_region: grows the shorter side to the processing aspect ratio, keeping the
// region centred where it can and inside the image.
CropRegion expand_crop_region(CropRegion region, int processing_width, int processing_height, int image_width,
                              int image_height);

// Steps 1–4 for one ADetailer mask.
struct OnlyMaskedPlan {
  Image blurred_mask;  // full image size: A1111's mask_for_overlay, used to paste the result back
  CropRegion crop;     // the region inpainted (A1111's paste_to)
  Image crop_mask;     // the blurred mask's crop resized to width×height ("resize and fill")
};
// nullopt when the mask is black (A1111 then falls back to whole-image img2img).
std::optional<OnlyMaskedPlan> plan_only_masked(const Image& mask, int mask_blur, int padding, int width, int height);

}  // namespace fluxgen::adetailer
