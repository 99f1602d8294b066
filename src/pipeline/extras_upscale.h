// A1111's Extras tab upscale (scripts/postprocessing_upscale.py), as /sdapi/v1/extra-single-image
// runs it: upscaler 1 by a factor, or to a target size (scaled by the larger of the two ratios,
// then centred on a black canvas of exactly that size when cropping); upscaler 2, when named and
// visible, upscales the same input the same way and is blended over it (PIL's Image.blend).
#pragma once
#include <optional>
#include <string>

#include "io/image/image.h"
#include "pipeline/image_upscale.h"

namespace fluxgen {

struct ExtrasUpscale {
  UpscalerChoice upscaler_1;                 // Kind::None returns the image unchanged
  std::optional<UpscalerChoice> upscaler_2;  // nullopt: none
  double upscaler_2_visibility = 0.0;        // [0, 1]
  bool to_size = false;                      // resize_mode 1
  double scale = 2.0;                        // resize_mode 0
  int width = 512, height = 512;             // resize_mode 1
  bool crop = true;                          // resize_mode 1
};

// The factor upscaler 1 runs at for `image`.
double extras_scale(const ExtrasUpscale& s, const Image& image);
// The upscaled RGB image; the models are those of Kind::Model choices (null otherwise).
Image extras_upscale(const ExtrasUpscale& s, const Upscaler* model_1, const Upscaler* model_2, const Image& image);
// "Postprocess upscale by: 2, Postprocess upscaler: Lanczos" (A1111's pp.info), for the answer
// and the image's "postprocessing" text.
std::string extras_infotext(const ExtrasUpscale& s);

// PIL's Image.blend: a + alpha·(b − a) per channel, truncated to 0..255; same sizes and channels.
Image blend_images(const Image& a, const Image& b, double alpha);

}  // namespace fluxgen
