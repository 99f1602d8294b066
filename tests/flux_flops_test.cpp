// The FLOP model of one FLUX forward (what bench/flux_gpu divides by), against a count by hand.
#include <gtest/gtest.h>

#include "models/flux/flux_flops.h"

namespace fluxgen::flux {
namespace {

TEST(FluxFlops, Flux1DevAt1024MatchesHandCount) {
  const FluxConfig c;  // FLUX.1-dev
  const double H = 3072, M = 12288, img = 4096, txt = 512, L = img + txt;
  // Per token: double blocks qkv 3H², proj H², MLP 2HM; single blocks linear1 H(3H+M), linear2 (H+M)H.
  const double per_token = 19 * (3 * H * H + H * H + 2 * H * M);
  const double blocks = per_token * L + 38 * (H * (3 * H + M) + (H + M) * H) * L;
  // Once per image: modulations, embedders of vectors; per token: the in/out projections.
  const double once = 19 * 2 * 6 * H * H + 38 * 3 * H * H + 2 * H * H + (256 * H + H * H) * 2 + 768 * H + H * H;
  const double io = 64 * H * img + 4096 * H * txt + H * 64 * img;
  const FluxFlops f = flux_forward_flops(c, 1, 4096, 512);
  EXPECT_DOUBLE_EQ(f.linear, 2 * (blocks + once + io));
  EXPECT_DOUBLE_EQ(f.attention, 57 * 4 * 24 * L * L * 128);
  EXPECT_NEAR(f.total() / 1e12, 74.1, 0.5);  // ~74 TFLOP per step at 1024²
}

TEST(FluxFlops, ScalesWithBatchAndSkipsGuidanceWhenAbsent) {
  FluxConfig c;
  c.guidance_embed = false;
  const FluxFlops one = flux_forward_flops(c, 1, 256, 16), two = flux_forward_flops(c, 2, 256, 16);
  EXPECT_DOUBLE_EQ(two.linear, 2 * one.linear);
  EXPECT_DOUBLE_EQ(two.attention, 2 * one.attention);
  FluxConfig g;
  EXPECT_DOUBLE_EQ(flux_forward_flops(g, 1, 256, 16).linear - one.linear, 2.0 * (256 * 3072 + 3072.0 * 3072));
}

}  // namespace
}  // namespace fluxgen::flux
