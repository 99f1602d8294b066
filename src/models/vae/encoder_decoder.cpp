#include "models/vae/encoder_decoder.h"

namespace fluxgen::vae {

Encoder::Encoder(const Weights& w, const VaeConfig& c) {
  conv_in = nn::Conv2d(w.sub("conv_in"), c.in_channels, c.ch, 1, 1);
  int64_t block_in = c.ch;
  const size_t levels = c.ch_mult.size();
  for (size_t i = 0; i < levels; ++i) {
    const Weights lw = w.sub("down").sub(static_cast<int64_t>(i));
    Level level;
    const int64_t block_out = c.ch * c.ch_mult[i];
    for (int64_t j = 0; j < c.num_res_blocks; ++j) {
      level.block.emplace_back(lw.sub("block").sub(j), block_in, block_out);
      block_in = block_out;
    }
    if (i + 1 != levels) level.downsample = Downsample(lw.sub("downsample"), block_in);
    down.push_back(std::move(level));
  }
  mid_block_1 = ResnetBlock(w.sub("mid").sub("block_1"), block_in, block_in);
  mid_attn_1 = AttnBlock(w.sub("mid").sub("attn_1"), block_in);
  mid_block_2 = ResnetBlock(w.sub("mid").sub("block_2"), block_in, block_in);
  norm_out = nn::GroupNorm(w.sub("norm_out"), 32, block_in, 1e-6f);
  conv_out = nn::Conv2d(w.sub("conv_out"), block_in, 2 * c.z_channels, 1, 1);
}

Tensor Encoder::forward(const Tensor& x) const {
  Tensor h = conv_in.forward(x);
  for (const Level& level : down) {
    for (const ResnetBlock& b : level.block) h = b.forward(h);
    if (level.downsample) h = level.downsample->forward(h);
  }
  h = mid_block_2.forward(mid_attn_1.forward(mid_block_1.forward(h)));
  return conv_out.forward(ops::silu(norm_out.forward(h)));
}

Decoder::Decoder(const Weights& w, const VaeConfig& c) {
  const size_t levels = c.ch_mult.size();
  int64_t block_in = c.ch * c.ch_mult.back();
  conv_in = nn::Conv2d(w.sub("conv_in"), c.z_channels, block_in, 1, 1);
  mid_block_1 = ResnetBlock(w.sub("mid").sub("block_1"), block_in, block_in);
  mid_attn_1 = AttnBlock(w.sub("mid").sub("attn_1"), block_in);
  mid_block_2 = ResnetBlock(w.sub("mid").sub("block_2"), block_in, block_in);
  up.resize(levels);
  for (size_t i = levels; i-- > 0;) {
    const Weights lw = w.sub("up").sub(static_cast<int64_t>(i));
    const int64_t block_out = c.ch * c.ch_mult[i];
    for (int64_t j = 0; j <= c.num_res_blocks; ++j) {
      up[i].block.emplace_back(lw.sub("block").sub(j), block_in, block_out);
      block_in = block_out;
    }
    if (i != 0) up[i].upsample = Upsample(lw.sub("upsample"), block_in);
  }
  norm_out = nn::GroupNorm(w.sub("norm_out"), 32, block_in, 1e-6f);
  conv_out = nn::Conv2d(w.sub("conv_out"), block_in, c.out_channels, 1, 1);
}

Tensor Decoder::forward(const Tensor& z) const {
  Tensor h = conv_in.forward(z);
  h = mid_block_2.forward(mid_attn_1.forward(mid_block_1.forward(h)));
  for (size_t i = up.size(); i-- > 0;) {
    for (const ResnetBlock& b : up[i].block) h = b.forward(h);
    if (up[i].upsample) h = up[i].upsample->forward(h);
  }
  return conv_out.forward(ops::silu(norm_out.forward(h)));
}

}  // namespace fluxgen::vae
