// The upscaler facade and Forge's tiled upscaling: the tile geometry of split_grid, tiled equal to
// untiled away from image borders and tile seams (fixture ESRGAN and the real
// realesr-animevideov3 on a crop of the real photo), Forge's BGR/clamp handling, progress.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "backend/ops.h"
#include "io/safetensors.h"
#include "models/tiled_upscale.h"
#include "models/upscaler.h"
#include "tensor/convert.h"
#include "test_support.h"
#include "util/error.h"

namespace fluxgen {
namespace {

using test::fixture;

TEST(UpscalerTiles, SplitGridFollowsForge) {
  // cols = ceil((1000-8)/184) = 6, dx = (1000-192)/5 = 161.6 -> int(i*dx); rows: dy = 408/3 = 136.
  TileGrid g = split_grid(1000, 600, 192, 8);
  EXPECT_EQ(g.xs, (std::vector<int64_t>{0, 161, 323, 484, 646, 808}));
  EXPECT_EQ(g.ys, (std::vector<int64_t>{0, 136, 272, 408}));
  EXPECT_EQ(g.tile_count(), 24);
  // Exactly one tile wide: one column at 0.
  g = split_grid(192, 376, 192, 8);
  EXPECT_EQ(g.xs, (std::vector<int64_t>{0}));
  EXPECT_EQ(g.ys, (std::vector<int64_t>{0, 184}));
  // Smaller than a tile: Forge shifts the tile left/up (its crop pads with black).
  g = split_grid(100, 50, 192, 8);
  EXPECT_EQ(g.xs, (std::vector<int64_t>{-92}));
  EXPECT_EQ(g.ys, (std::vector<int64_t>{-142}));
  EXPECT_THROW(split_grid(100, 100, 8, 8), Error);
  EXPECT_THROW(split_grid(0, 100, 192, 8), Error);
}

TEST(UpscalerTiles, IdentityPatchesReassembleTheImageExactly) {
  // With an "upscaler" that is nearest x2, every blend mixes equal values: the result is exact.
  const Tensor img = to_f32(SafetensorsFile::open(fixture("real/real_io.safetensors"))->get("taef1.in.image"));
  const TileGrid g = split_grid(256, 144, 64, 8);
  int64_t calls = 0, last_done = 0;
  const Tensor out = tiled_upscale(
      img, g, [&](const Tensor& t) { ++calls; return ops::upsample_nearest(t, 2); },
      [&](int64_t done, int64_t total) {
        EXPECT_EQ(done, last_done + 1);
        EXPECT_EQ(total, g.tile_count());
        last_done = done;
      });
  EXPECT_EQ(calls, g.tile_count());
  EXPECT_EQ(last_done, g.tile_count());
  EXPECT_LT(test::max_abs_diff(out, ops::upsample_nearest(img, 2)), 1e-6);
}

// Max |tiled - untiled| over output pixels whose low-resolution position is at least `margin`
// pixels from the image borders and from the edges of the tile that wrote it last (the blend
// ramps lie inside that margin). Also reports the largest difference anywhere.
struct SeamStats {
  double interior = 0, anywhere = 0;
  int64_t interior_pixels = 0;
};

int64_t last_origin(const std::vector<int64_t>& origins, int64_t p) {
  int64_t o = origins.front();
  for (int64_t v : origins)
    if (v <= p) o = v;
  return o;
}

SeamStats compare(const Tensor& tiled, const Tensor& full, const TileGrid& g, int64_t scale, int64_t margin) {
  SeamStats s;
  const int64_t C = full.dim(1), H = full.dim(2), W = full.dim(3);
  auto safe = [&](int64_t p, int64_t size, const std::vector<int64_t>& origins, int64_t tile) {
    const int64_t o = last_origin(origins, p);
    return p >= margin && p < size - margin && p - o >= margin && o + tile - p > margin;
  };
  for (int64_t c = 0; c < C; ++c)
    for (int64_t y = 0; y < H; ++y)
      for (int64_t x = 0; x < W; ++x) {
        const double d = std::fabs(double(tiled.f32()[(c * H + y) * W + x]) - full.f32()[(c * H + y) * W + x]);
        s.anywhere = std::max(s.anywhere, d);
        if (safe(x / scale, g.image_w, g.xs, g.tile_w) && safe(y / scale, g.image_h, g.ys, g.tile_h)) {
          s.interior = std::max(s.interior, d);
          ++s.interior_pixels;
        }
      }
  return s;
}

Tensor photo_crop(int64_t h, int64_t w) {
  const Tensor img = to_f32(SafetensorsFile::open(fixture("real/real_io.safetensors"))->get("taef1.in.image"));
  return ops::slice(ops::slice(img, 2, 0, h), 3, 0, w);
}

TEST(UpscalerTiles, TiledEqualsUntiledAwayFromBordersFixtureEsrgan) {
  // The tiny fixture RRDBNet chains 34 3x3 convs at low resolution (conv_first, 2 RRDBs of 3 dense
  // blocks of 5, conv_body, then fractions at the upsampled resolutions), so tiles of 96 leave an
  // interior band per tile where the tiled result must equal the whole-image one.
  const auto up = Upscaler::load(fixture("esrgan_old.pth"));
  const Tensor img = photo_crop(96, 176);
  const TileGrid g = split_grid(176, 96, 96, 8);
  ASSERT_EQ(g.xs, (std::vector<int64_t>{0, 80}));
  const Tensor tiled = tiled_upscale(img, g, [&](const Tensor& t) { return up->forward(t); });
  const Tensor full = up->forward(img);
  ASSERT_EQ(tiled.shape(), full.shape());
  const SeamStats s = compare(tiled, full, g, 4, 36);
  std::printf("[ tiles ] fixture ESRGAN, tile 96/8: interior max diff %.3g over %lld px, anywhere %.3g\n",
              s.interior, static_cast<long long>(s.interior_pixels), s.anywhere);
  EXPECT_GT(s.interior_pixels, 20000);
  EXPECT_LT(s.interior, 1e-3);
}

TEST(UpscalerTiles, TiledEqualsUntiledAwayFromBordersRealCompactModel) {
#if !defined(FLUXGEN_WITH_ZLIB)
  GTEST_SKIP() << "no zlib: realesr-animevideov3.pth is deflate-compressed";
#endif
  // realesr-animevideov3 (18 3x3 convs: a 18-pixel reach) on a crop of the real photo, through the
  // facade (BGR flip and clamp per tile, as Forge), tiles of 56 overlapping by 8.
  const auto up = Upscaler::load(fixture("real/realesr-animevideov3.pth"));
  const Tensor img = photo_crop(72, 120);
  TileSettings tiles;
  tiles.tile = 56;
  tiles.overlap = 8;
  int64_t reported = 0;
  const Tensor tiled = up->upscale_tiled(img, tiles, [&](int64_t done, int64_t) { reported = done; });
  const Tensor full = up->upscale(img);
  const TileGrid g = split_grid(120, 72, 56, 8);
  EXPECT_EQ(reported, g.tile_count());
  const SeamStats s = compare(tiled, full, g, 4, 19);
  std::printf("[ tiles ] realesr-animevideov3, tile 56/8: interior max diff %.3g over %lld px, anywhere %.3g\n",
              s.interior, static_cast<long long>(s.interior_pixels), s.anywhere);
  EXPECT_GT(s.interior_pixels, 3000);
  EXPECT_LT(s.interior, 1e-3);
}

TEST(UpscalerFacade, ForgeBgrFlipAndClamp) {
  const auto up = Upscaler::load(fixture("esrgan_old.pth"));
  const Tensor img = photo_crop(16, 24);
  auto flip = [](const Tensor& x) {
    return ops::concat({ops::slice(x, 1, 2, 3), ops::slice(x, 1, 1, 2), ops::slice(x, 1, 0, 1)}, 1);
  };
  const Tensor want = flip(ops::clamp(up->forward(flip(img)), 0, 1));
  EXPECT_EQ(test::max_abs_diff(up->upscale(img), want), 0.0);
  UpscalerOptions rgb;
  rgb.bgr = false;
  const auto up_rgb = Upscaler::load(fixture("esrgan_old.pth"), rgb);
  EXPECT_EQ(test::max_abs_diff(up_rgb->upscale(img), ops::clamp(up->forward(img), 0, 1)), 0.0);
  // tile <= 0: no tiling; an image smaller than a tile: one black-padded tile, as Forge.
  TileSettings none;
  none.tile = 0;
  EXPECT_EQ(test::max_abs_diff(up->upscale_tiled(img, none), want), 0.0);
  const Tensor small_tiled = up->upscale_tiled(img, TileSettings{32, 8});
  EXPECT_EQ(small_tiled.shape(), (Shape{1, 3, 64, 96}));
  EXPECT_THROW(up->upscale(Tensor::zeros({2, 3, 8, 8})), Error);
}

}  // namespace
}  // namespace fluxgen
