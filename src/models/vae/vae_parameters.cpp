#include "models/vae/vae_parameters.h"

namespace fluxgen::vae {

namespace {

using Shapes = std::map<std::string, Shape>;

void conv(Shapes& s, const std::string& name, int64_t in, int64_t out, int64_t k) {
  s[name + ".weight"] = {out, in, k, k};
  s[name + ".bias"] = {out};
}

void norm(Shapes& s, const std::string& name, int64_t c) {
  s[name + ".weight"] = {c};
  s[name + ".bias"] = {c};
}

void resnet_block(Shapes& s, const std::string& name, int64_t in, int64_t out) {
  norm(s, name + ".norm1", in);
  conv(s, name + ".conv1", in, out, 3);
  norm(s, name + ".norm2", out);
  conv(s, name + ".conv2", out, out, 3);
  if (in != out) conv(s, name + ".nin_shortcut", in, out, 1);
}

void middle(Shapes& s, const std::string& name, int64_t c) {
  resnet_block(s, name + ".block_1", c, c);
  norm(s, name + ".attn_1.norm", c);
  for (const char* p : {"q", "k", "v", "proj_out"}) conv(s, name + ".attn_1." + p, c, c, 1);
  resnet_block(s, name + ".block_2", c, c);
}

}  // namespace

std::map<std::string, Shape> vae_parameter_shapes(const VaeConfig& c) {
  Shapes s;
  const int64_t levels = static_cast<int64_t>(c.ch_mult.size());
  const auto width = [&](int64_t level) { return c.ch * c.ch_mult[static_cast<size_t>(level)]; };

  conv(s, "encoder.conv_in", c.in_channels, c.ch, 3);
  int64_t in = c.ch;
  for (int64_t i = 0; i < levels; ++i) {
    const std::string level = "encoder.down." + std::to_string(i);
    for (int64_t j = 0; j < c.num_res_blocks; ++j) {
      resnet_block(s, level + ".block." + std::to_string(j), in, width(i));
      in = width(i);
    }
    if (i != levels - 1) conv(s, level + ".downsample.conv", in, in, 3);
  }
  middle(s, "encoder.mid", in);
  norm(s, "encoder.norm_out", in);
  conv(s, "encoder.conv_out", in, 2 * c.z_channels, 3);

  in = width(levels - 1);
  conv(s, "decoder.conv_in", c.z_channels, in, 3);
  middle(s, "decoder.mid", in);
  for (int64_t i = levels - 1; i >= 0; --i) {
    const std::string level = "decoder.up." + std::to_string(i);
    for (int64_t j = 0; j <= c.num_res_blocks; ++j) {
      resnet_block(s, level + ".block." + std::to_string(j), in, width(i));
      in = width(i);
    }
    if (i != 0) conv(s, level + ".upsample.conv", in, in, 3);
  }
  norm(s, "decoder.norm_out", in);
  conv(s, "decoder.conv_out", in, c.out_channels, 3);
  return s;
}

}  // namespace fluxgen::vae
