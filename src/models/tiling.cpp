#include "models/tiling.h"

#include <algorithm>
#include <cmath>

#include "backend/ops.h"
#include "util/error.h"

namespace fluxgen {

std::vector<int64_t> tile_origins(int64_t size, int64_t tile, int64_t overlap) {
  check(tile > overlap && overlap >= 0, "tiling: tile ", tile, " must exceed overlap ", overlap);
  if (size <= tile) return {0};
  const int64_t n = (size - overlap + (tile - overlap) - 1) / (tile - overlap);  // ceil((size-ov)/(tile-ov))
  std::vector<int64_t> out;
  for (int64_t i = 0; i < n; ++i) out.push_back(n > 1 ? i * (size - tile) / (n - 1) : 0);
  return out;
}

namespace {
// Weight of output position i in a tile of length len whose ramps are `ramp` long on the sides
// that border another tile.
float ramp_weight(int64_t i, int64_t len, int64_t ramp, bool ramp_start, bool ramp_end) {
  float w = 1.0f;
  if (ramp > 0 && ramp_start) w = std::min(w, static_cast<float>(i + 1) / static_cast<float>(ramp + 1));
  if (ramp > 0 && ramp_end) w = std::min(w, static_cast<float>(len - i) / static_cast<float>(ramp + 1));
  return w;
}
}  // namespace

Tensor tiled_apply(const Tensor& input, const TileSpec& grid, int64_t num, int64_t den,
                   const std::function<Tensor(const Tensor&)>& fn, const std::function<void(int, int)>& progress) {
  check(input.ndim() == 4, "tiling: input must be [B, C, H, W], got ", input.describe());
  const int64_t H = input.dim(2), W = input.dim(3);
  if (H <= grid.tile && W <= grid.tile) {
    Tensor out = fn(input);
    if (progress) progress(1, 1);
    return out;
  }
  const int64_t tile_h = std::min(grid.tile, H), tile_w = std::min(grid.tile, W);
  const auto ys = tile_origins(H, tile_h, grid.overlap), xs = tile_origins(W, tile_w, grid.overlap);
  check((grid.tile * num) % den == 0 && (H * num) % den == 0 && (W * num) % den == 0 && (grid.overlap * num) % den == 0,
        "tiling: sizes do not scale exactly by ", num, "/", den);
  Tensor acc, weight;
  int64_t B = 0, C = 0;
  const int64_t OH = H * num / den, OW = W * num / den, ramp = grid.overlap * num / den;
  const int total = static_cast<int>(ys.size() * xs.size());
  int done = 0;
  for (size_t yi = 0; yi < ys.size(); ++yi) {
    for (size_t xi = 0; xi < xs.size(); ++xi) {
      const Tensor tile_in = ops::slice(ops::slice(input, 2, ys[yi], ys[yi] + tile_h), 3, xs[xi], xs[xi] + tile_w);
      const Tensor out = ops::to_host(fn(tile_in));
      const int64_t th = out.dim(2), tw = out.dim(3);
      check(th == tile_h * num / den && tw == tile_w * num / den, "tiling: a tile came back as ", out.describe());
      if (!acc.defined()) {
        B = out.dim(0);
        C = out.dim(1);
        acc = Tensor::zeros({B, C, OH, OW});
        weight = Tensor::zeros({OH, OW});
      }
      const int64_t oy = ys[yi] * num / den, ox = xs[xi] * num / den;
      for (int64_t y = 0; y < th; ++y) {
        const float wy = ramp_weight(y, th, ramp, yi > 0, yi + 1 < ys.size());
        for (int64_t x = 0; x < tw; ++x) {
          const float w = wy * ramp_weight(x, tw, ramp, xi > 0, xi + 1 < xs.size());
          weight.f32()[(oy + y) * OW + ox + x] += w;
          for (int64_t b = 0; b < B; ++b)
            for (int64_t c = 0; c < C; ++c)
              acc.f32()[((b * C + c) * OH + oy + y) * OW + ox + x] += w * out.f32()[((b * C + c) * th + y) * tw + x];
        }
      }
      if (progress) progress(++done, total);
    }
  }
  for (int64_t b = 0; b < B; ++b)
    for (int64_t c = 0; c < C; ++c)
      for (int64_t i = 0; i < OH * OW; ++i) acc.f32()[(b * C + c) * OH * OW + i] /= weight.f32()[i];
  return acc;
}

}  // namespace fluxgen
