// Tiled upscaling exactly as A1111/Forge do it for ESRGAN-family models (modules/images.py
// split_grid + combine_grid, modules/upscaler_utils.py upscale_with_model): the image is cut into
// tile x tile crops that overlap by at least `overlap` pixels, each crop is upscaled on its own, and
// the results are pasted back in order, the first overlap*scale columns (then rows) of each tile
// blended over what is there with a linear alpha ramp (alpha = floor(i*255/ov)/255), the rest
// overwriting. Only one tile's activations and one row of output tiles exist at a time.
// Forge blends 8-bit tiles; here tiles stay float (the caller quantizes the final image).
#pragma once
#include <cstdint>
#include <functional>
#include <vector>

#include "tensor/tensor.h"

namespace fluxgen {

struct TileGrid {
  int64_t image_w = 0, image_h = 0;
  int64_t tile_w = 0, tile_h = 0;
  int64_t overlap = 0;
  // Tile origins, as split_grid computes them: cols = ceil((w - ov) / (tile - ov)),
  // x = int(col * (w - tile) / (cols - 1)), and the last tile flush with the right edge. Negative
  // when the image is smaller than a tile: Forge's crop then pads with black, and so does this.
  std::vector<int64_t> xs, ys;
  int64_t tile_count() const { return static_cast<int64_t>(xs.size() * ys.size()); }
};

TileGrid split_grid(int64_t image_w, int64_t image_h, int64_t tile, int64_t overlap);

// Upscales one tile [1, C, th, tw] to [1, C', th*s, tw*s].
using PatchUpscaler = std::function<Tensor(const Tensor& tile)>;
// Called after each tile with (tiles done, tiles in total).
using TileProgress = std::function<void(int64_t done, int64_t total)>;

// image [1, C, H, W]; the scale is read off the first tile's output.
Tensor tiled_upscale(const Tensor& image, const TileGrid& grid, const PatchUpscaler& upscale_tile,
                     const TileProgress& progress = {});

}  // namespace fluxgen
