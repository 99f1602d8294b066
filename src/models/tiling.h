// Runs an image-to-image function over overlapping tiles and blends the seams, so memory is
// bounded by the tile size whatever the image size. Tiles are placed as A1111's split_grid does
// (evenly spread, first and last flush with the borders); each output pixel is the average of the
// tiles covering it, weighted by a linear ramp across the overlap (full weight at image borders).
#pragma once
#include <functional>

#include "tensor/tensor.h"

namespace fluxgen {

struct TileSpec {
  int64_t tile;     // tile size in input pixels
  int64_t overlap;  // overlap in input pixels
};

// fn maps an input tile [B, C, th, tw] to [B, C', th·num/den, tw·num/den] (num/den = the scale:
// 8/1 for VAE decoding, 1/8 for encoding, 4/1 for a ×4 upscaler). `progress(done, total)` is
// called after each tile.
Tensor tiled_apply(const Tensor& input, const TileSpec& grid, int64_t num, int64_t den,
                   const std::function<Tensor(const Tensor&)>& fn,
                   const std::function<void(int, int)>& progress = nullptr);

// Tile origins along one axis of `size` pixels (A1111's split_grid placement).
std::vector<int64_t> tile_origins(int64_t size, int64_t tile, int64_t overlap);

}  // namespace fluxgen
