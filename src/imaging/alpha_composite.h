// Pillow's Image.alpha_composite (libImaging/AlphaComposite.c), byte for byte: A1111 pastes an
// inpainting result back through it (processing.apply_overlay), with the original image whose
// alpha is the inverted blurred mask composited over the generated one.
#pragma once
#include "io/image/image.h"

namespace fluxgen::imaging {

// `src` over `dst`, both RGBA of the same size -> RGBA.
Image alpha_composite(const Image& dst, const Image& src);

// A1111's overlay for an inpainted image: the original with alpha = 255 − mask (RGBA).
Image inpaint_overlay(const Image& original, const Image& blurred_mask);

}  // namespace fluxgen::imaging
