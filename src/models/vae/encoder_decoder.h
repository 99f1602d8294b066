// BFL's Encoder (encoder.*) and Decoder (decoder.*): resolution levels of ResnetBlocks with
// down/upsampling between them, a middle ResnetBlock–AttnBlock–ResnetBlock, GroupNorm, SiLU, conv.
#pragma once
#include <vector>

#include "models/vae/vae_blocks.h"
#include "models/vae/vae_config.h"

namespace fluxgen::vae {

class Encoder {
 public:
  Encoder() = default;
  Encoder(const Weights& w, const VaeConfig& c);
  // image [B, 3, H, W] in [-1, 1] -> moments [B, 2·z, H/f, W/f]
  Tensor forward(const Tensor& x) const;

 private:
  struct Level {
    std::vector<ResnetBlock> block;
    std::optional<Downsample> downsample;
  };
  nn::Conv2d conv_in, conv_out;
  std::vector<Level> down;
  ResnetBlock mid_block_1, mid_block_2;
  AttnBlock mid_attn_1;
  nn::GroupNorm norm_out;
};

class Decoder {
 public:
  Decoder() = default;
  Decoder(const Weights& w, const VaeConfig& c);
  // latent [B, z, h, w] (unscaled) -> image [B, 3, h·f, w·f]
  Tensor forward(const Tensor& z) const;

 private:
  struct Level {
    std::vector<ResnetBlock> block;
    std::optional<Upsample> upsample;
  };
  nn::Conv2d conv_in, conv_out;
  std::vector<Level> up;  // index = BFL level (0 = full resolution)
  ResnetBlock mid_block_1, mid_block_2;
  AttnBlock mid_attn_1;
  nn::GroupNorm norm_out;
};

}  // namespace fluxgen::vae
