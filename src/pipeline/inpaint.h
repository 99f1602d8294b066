// Inpainting as A1111/Forge prepare and finish it (modules/processing.py
// StableDiffusionProcessingImg2Img.init and apply_overlay): the mask blurred, then either the
// whole image resized to the processing size ("whole picture") or only the mask's padded bounding
// box, grown to the processing aspect and resized ("only masked", which ADetailer uses); a latent
// mask pins the unmasked latent every step; the result is pasted back and the original is
// composited over it through the inverted blurred mask, so pixels outside the mask are the
// original's, bit for bit.
#pragma once
#include <optional>

#include "io/image/image.h"
#include "pipeline/adetailer/inpaint_region.h"
#include "tensor/tensor.h"

namespace fluxgen {

struct InpaintRequest {
  Image image;  // RGB, any size
  Image mask;   // 1-channel, the image's size; white = repaint
  int mask_blur = 4;
  bool only_masked = false;
  int padding = 32;
  int width = 0, height = 0;  // processing size
  int resize_mode = 0;        // A1111's resize mode for "whole picture"
};

struct PreparedInpaint {
  Image process_image;  // width×height RGB: what the VAE encodes
  Image process_mask;   // width×height 1-channel: what the latent mask comes from
  Image overlay;        // RGBA composited over the result (original, alpha = 255 − blurred mask)
  std::optional<adetailer::CropRegion> crop;  // only masked: where the result goes back
};

// nullopt when the mask is black (nothing to inpaint).
std::optional<PreparedInpaint> prepare_inpaint(const InpaintRequest& request);

// A1111's latent mask: the process mask resized to the latent (Pillow's default bicubic), /255,
// rounded; returned as the weight of the original: 1 − that, [1, 1, h, w].
Tensor latent_keep_mask(const Image& process_mask, int64_t latent_height, int64_t latent_width);

// The generated width×height image put back (only masked: resized into the crop) under the overlay.
Image finish_inpaint(const PreparedInpaint& prepared, const Image& generated);

}  // namespace fluxgen
