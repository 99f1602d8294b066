// Resizing 8-bit images exactly as Pillow's Image.resize does (A1111/Forge resize every image with
// Pillow: img2img inputs, masks, HiRes.fix targets, ADetailer crops), byte for byte:
// separable two-pass convolution with 22-bit fixed-point weights, horizontal pass first; RGBA is
// premultiplied by alpha around the convolution; Nearest is Pillow's affine nearest-neighbour.
#pragma once
#include <optional>

#include "imaging/resample_filters.h"
#include "io/image/image.h"

namespace fluxgen::imaging {

// The source region to resample (Pillow's `box`), in source pixels; may be empty in one
// dimension (A1111's "resize and fill" stretches the first/last row that way).
struct Box {
  float x0, y0, x1, y1;
};

// Throws fluxgen::Error for a non-positive or oversized target or a box outside the image.
Image resize(const Image& image, int width, int height, Filter filter, std::optional<Box> box = std::nullopt);

// Copies `src` onto `dst` with its top-left corner at (x, y), clipped to dst (Pillow's paste
// without a mask); channel counts are converted as Pillow's convert() does.
void paste(Image& dst, const Image& src, int x, int y);

// The pixels of [x1, x2) × [y1, y2) (Pillow's crop; parts outside the image are black).
Image crop(const Image& image, int x1, int y1, int x2, int y2);

}  // namespace fluxgen::imaging
