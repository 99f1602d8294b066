#include "models/vae/vae_config.h"

#include "io/json.h"
#include "nn/weights.h"
#include "util/error.h"
#include "util/strings.h"

namespace fluxgen::vae {

std::optional<VaeDetection> detect_vae(const TensorStore& store) {
  for (const auto& name : store.names()) {
    constexpr std::string_view anchor = "decoder.conv_in.weight";
    if (!ends_with(name, anchor)) continue;
    const std::string prefix = name.substr(0, name.size() - anchor.size());
    if (!prefix.empty() && prefix.back() != '.') continue;
    if (store.contains(prefix + "decoder.up.0.block.0.conv1.weight")) return VaeDetection{VaeLayout::BFL, prefix};
    if (store.contains(prefix + "decoder.up_blocks.0.resnets.0.conv1.weight"))
      return VaeDetection{VaeLayout::Diffusers, prefix};
  }
  return std::nullopt;
}

VaeConfig infer_vae_config(const TensorStore& store, const VaeDetection& where) {
  const Weights w(std::shared_ptr<const TensorStore>(std::shared_ptr<const TensorStore>{}, &store), where.prefix);
  const bool bfl = where.layout == VaeLayout::BFL;
  VaeConfig c;
  const Shape dec_in = w.shape("decoder.conv_in.weight");
  c.z_channels = dec_in.at(1);
  c.out_channels = w.shape("decoder.conv_out.weight").at(0);
  const int64_t levels = w.count(bfl ? "decoder.up" : "decoder.up_blocks");
  check(levels > 0, store.source(), ": autoencoder decoder has no up blocks");
  c.num_res_blocks = w.count(bfl ? "decoder.up.0.block" : "decoder.up_blocks.0.resnets") - 1;
  c.has_encoder = w.has("encoder.conv_in.weight");
  // Decoder level i (BFL numbering, 0 = full resolution) outputs ch·ch_mult[i] channels.
  c.ch_mult.assign(static_cast<size_t>(levels), 1);
  std::vector<int64_t> widths(static_cast<size_t>(levels));
  for (int64_t i = 0; i < levels; ++i) {
    const std::string k = bfl ? "decoder.up." + std::to_string(i) + ".block.0.conv2.weight"
                              : "decoder.up_blocks." + std::to_string(levels - 1 - i) + ".resnets.0.conv2.weight";
    widths[static_cast<size_t>(i)] = w.shape(k).at(0);
  }
  c.ch = c.has_encoder ? w.shape("encoder.conv_in.weight").at(0) : widths[0];
  c.in_channels = c.has_encoder ? w.shape("encoder.conv_in.weight").at(1) : 3;
  for (int64_t i = 0; i < levels; ++i) {
    check(widths[static_cast<size_t>(i)] % c.ch == 0, store.source(), ": autoencoder level ", i, " width ",
          widths[static_cast<size_t>(i)], " is not a multiple of ", c.ch);
    c.ch_mult[static_cast<size_t>(i)] = widths[static_cast<size_t>(i)] / c.ch;
  }
  const std::string meta = store.metadata("config");
  if (!meta.empty()) {
    try {
      const json::Value v = json::parse(meta, store.source() + ": metadata config");
      c.scale_factor = v.number_or("scale_factor", v.number_or("scaling_factor", c.scale_factor));
      c.shift_factor = v.number_or("shift_factor", c.shift_factor);
    } catch (const Error&) {
      // Metadata written by other tools is not ours to validate.
    }
  }
  return c;
}

}  // namespace fluxgen::vae
