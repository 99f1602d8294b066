#include "models/tiled_upscale.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "tensor/convert.h"
#include "util/error.h"

namespace fluxgen {
namespace {

// Origins of one axis: split_grid's `int(i * d)` with d = (size - tile) / (n - 1) in floating point.
std::vector<int64_t> axis_origins(int64_t size, int64_t tile, int64_t overlap) {
  const int64_t step = tile - overlap;
  const int64_t n = std::max<int64_t>(1, (size - overlap + step - 1) / step);  // math.ceil
  const double d = n > 1 ? static_cast<double>(size - tile) / static_cast<double>(n - 1) : 0.0;
  std::vector<int64_t> out;
  for (int64_t i = 0; i < n; ++i) {
    auto o = static_cast<int64_t>(static_cast<double>(i) * d);  // int() truncates toward zero
    if (o + tile >= size) o = size - tile;
    out.push_back(o);
  }
  return out;
}

// A [1, C, th, tw] crop at (x, y); outside the image reads black, as PIL's crop does.
Tensor crop(const Tensor& img, int64_t x, int64_t y, int64_t tw, int64_t th) {
  const int64_t C = img.dim(1), H = img.dim(2), W = img.dim(3);
  Tensor out = Tensor::zeros({1, C, th, tw});
  const int64_t x0 = std::max<int64_t>(x, 0), x1 = std::min(x + tw, W);
  if (x1 <= x0) return out;
  for (int64_t c = 0; c < C; ++c)
    for (int64_t r = std::max<int64_t>(y, 0); r < std::min(y + th, H); ++r)
      std::memcpy(out.f32() + (c * th + (r - y)) * tw + (x0 - x), img.f32() + (c * H + r) * W + x0,
                  static_cast<size_t>(x1 - x0) * sizeof(float));
  return out;
}

// The alpha of ramp position i in [0, ov): PIL mask value uint8(i * 255 / ov), over 255.
float ramp(int64_t i, int64_t ov) { return static_cast<float>(std::floor(static_cast<double>(i) * 255.0 / ov)) / 255.0f; }

// Pastes src columns [c0, c1) at destination column `at`, blending with `alpha(col)` (1 = overwrite).
// src [C, h, sw], dst [C, h, dw]; columns outside dst are clipped.
template <typename Alpha>
void paste_columns(const float* src, int64_t sw, float* dst, int64_t dw, int64_t C, int64_t h, int64_t c0, int64_t c1,
                   int64_t at, Alpha alpha) {
  for (int64_t c = c0; c < c1; ++c) {
    const int64_t d = at + (c - c0);
    if (d < 0 || d >= dw) continue;
    const float a = alpha(c - c0);
    for (int64_t ch = 0; ch < C; ++ch)
      for (int64_t r = 0; r < h; ++r) {
        float& o = dst[(ch * h + r) * dw + d];
        o = a * src[(ch * h + r) * sw + c] + (1.0f - a) * o;
      }
  }
}

}  // namespace

TileGrid split_grid(int64_t image_w, int64_t image_h, int64_t tile, int64_t overlap) {
  check(image_w > 0 && image_h > 0, "tiled upscale: empty image ", image_w, "x", image_h);
  check(tile > 0 && overlap >= 0 && overlap < tile, "tiled upscale: tile size ", tile, " and overlap ", overlap,
        " must satisfy 0 <= overlap < tile");
  TileGrid g;
  g.image_w = image_w;
  g.image_h = image_h;
  g.tile_w = g.tile_h = tile;
  g.overlap = overlap;
  g.xs = axis_origins(image_w, tile, overlap);
  g.ys = axis_origins(image_h, tile, overlap);
  return g;
}

Tensor tiled_upscale(const Tensor& image_in, const TileGrid& grid, const PatchUpscaler& upscale_tile,
                     const TileProgress& progress) {
  const Tensor image = to_f32(image_in);
  check(image.ndim() == 4 && image.dim(0) == 1 && image.dim(2) == grid.image_h && image.dim(3) == grid.image_w,
        "tiled upscale: image ", image.describe(), " does not match a ", grid.image_w, "x", grid.image_h, " grid");
  const int64_t total = grid.tile_count();
  int64_t done = 0, scale = 0, C = 0;
  Tensor out;
  for (size_t row = 0; row < grid.ys.size(); ++row) {
    const int64_t y = grid.ys[row];
    Tensor row_buf;  // [C, tile_h*s, image_w*s], black where no tile lands (as Image.new does)
    for (size_t col = 0; col < grid.xs.size(); ++col) {
      const int64_t x = grid.xs[col];
      const Tensor tile = to_f32(upscale_tile(crop(image, x, y, grid.tile_w, grid.tile_h)));
      if (scale == 0) {
        check(tile.ndim() == 4 && tile.dim(0) == 1 && tile.dim(3) % grid.tile_w == 0 && tile.dim(3) > 0,
              "tiled upscale: a ", grid.tile_w, "x", grid.tile_h, " tile came back as ", tile.describe());
        scale = tile.dim(3) / grid.tile_w;
        C = tile.dim(1);
        out = Tensor::zeros({1, C, grid.image_h * scale, grid.image_w * scale});
      }
      check(tile.ndim() == 4 && tile.dim(1) == C && tile.dim(2) == grid.tile_h * scale && tile.dim(3) == grid.tile_w * scale,
            "tiled upscale: a tile came back as ", tile.describe(), ", expected [1, ", C, ", ", grid.tile_h * scale,
            ", ", grid.tile_w * scale, "]");
      if (!row_buf.defined()) row_buf = Tensor::zeros({C, grid.tile_h * scale, grid.image_w * scale});
      const int64_t tw = grid.tile_w * scale, th = grid.tile_h * scale, ov = grid.overlap * scale;
      const int64_t dw = grid.image_w * scale;
      if (x == 0) {
        paste_columns(tile.f32(), tw, row_buf.f32(), dw, C, th, 0, tw, 0, [](int64_t) { return 1.0f; });
      } else {
        paste_columns(tile.f32(), tw, row_buf.f32(), dw, C, th, 0, ov, x * scale, [ov](int64_t i) { return ramp(i, ov); });
        paste_columns(tile.f32(), tw, row_buf.f32(), dw, C, th, ov, tw, x * scale + ov, [](int64_t) { return 1.0f; });
      }
      ++done;
      if (progress) progress(done, total);
    }
    // Rows of the combined row onto the image: the first ov rows blended unless y == 0.
    const int64_t th = grid.tile_h * scale, ov = grid.overlap * scale, W = grid.image_w * scale, H = grid.image_h * scale;
    const int64_t first_full = y == 0 ? 0 : ov;
    for (int64_t r = 0; r < th; ++r) {
      const int64_t dy = y * scale + r;
      if (dy < 0 || dy >= H) continue;
      const float a = r < first_full ? ramp(r, ov) : 1.0f;
      for (int64_t ch = 0; ch < C; ++ch) {
        const float* src = row_buf.f32() + (ch * th + r) * W;
        float* dst = out.f32() + (ch * H + dy) * W;
        for (int64_t i = 0; i < W; ++i) dst[i] = a * src[i] + (1.0f - a) * dst[i];
      }
    }
  }
  return out;
}

}  // namespace fluxgen
