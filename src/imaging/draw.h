// Rectangles drawn as Pillow's ImageDraw.rectangle draws them: float coordinates are truncated
// toward zero (int(x)), both corners are inclusive, the shape is clipped to the image. ADetailer
// turns each detection box into its mask this way (common.create_mask_from_bbox), and
// `fluxgen detect` outlines its boxes with the same convention.
#pragma once
#include <cstdint>
#include <vector>

#include "io/image/image.h"

namespace fluxgen::imaging {

// Fills [int(x0), int(x1)] × [int(y0), int(y1)] with `color` (one value per channel of the image,
// or a single value for all). Throws when x1 < x0 or y1 < y0, as Pillow does.
void fill_rectangle(Image& image, double x0, double y0, double x1, double y1, const std::vector<uint8_t>& color);

// An outline `width` pixels thick, drawn inward from the same inclusive rectangle.
void outline_rectangle(Image& image, double x0, double y0, double x1, double y1, const std::vector<uint8_t>& color,
                       int width);

}  // namespace fluxgen::imaging
