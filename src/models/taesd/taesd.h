// TAESD / TAEF1: madebyollin's tiny autoencoders (taesd.py), used by Forge and ComfyUI for live
// previews. Both halves are nn.Sequential stacks whose checkpoint keys are the layer indices
// ("0.weight", "1.conv.0.weight" ...), so each layer below is built from the Weights view of its
// index. TAEF1 = 16 latent channels (FLUX), TAESD/TAESDXL = 4; the count is read from the weights.
//
//   Encoder: conv(3→64), Block, [conv stride 2 (no bias), Block ×3] ×3, conv(64→latent)
//   Decoder: tanh(x/3)·3, conv(latent→64), ReLU, [Block ×3, Upsample ×2, conv (no bias)] ×3,
//            Block, conv(64→3)
//   Block  : ReLU(conv-ReLU-conv-ReLU-conv (x) + skip(x)), skip = 1x1 conv when channels change
//
// The encoder takes images in [0, 1] and gives FLUX latents in the transformer's space (the VAE's
// scaled and shifted latent); the decoder maps them back to [0, 1] (unclamped: callers clamp).
#pragma once
#include <string>
#include <vector>

#include "nn/modules.h"

namespace fluxgen {

namespace taesd {

class Block {
 public:
  Block() = default;
  Block(const Weights& w, int64_t in, int64_t out);
  Tensor forward(const Tensor& x) const;

 private:
  nn::Conv2d conv0_, conv2_, conv4_;  // keys conv.0, conv.2, conv.4 (ReLUs between)
  std::optional<nn::Conv2d> skip_;    // key skip, only when in != out
};

}  // namespace taesd

class TaesdEncoder {
 public:
  // `w` is scoped to the encoder's Sequential (the root of taef1_encoder.safetensors).
  explicit TaesdEncoder(const Weights& w);
  // [N, 3, H, W] in [0, 1] -> [N, latent_channels, H/8, W/8]. H and W must be multiples of 8.
  Tensor forward(const Tensor& image) const;
  int64_t latent_channels() const { return latent_channels_; }

 private:
  nn::Conv2d conv_in_, conv_out_;
  nn::Conv2d down_[3];
  taesd::Block first_block_;
  taesd::Block blocks_[3][3];
  int64_t latent_channels_ = 0;
};

class TaesdDecoder {
 public:
  explicit TaesdDecoder(const Weights& w);
  // [N, latent_channels, h, w] -> [N, 3, 8h, 8w], nominally [0, 1].
  Tensor forward(const Tensor& latent) const;
  int64_t latent_channels() const { return latent_channels_; }

 private:
  nn::Conv2d conv_in_, conv_out_;
  nn::Conv2d up_[3];
  taesd::Block blocks_[3][3];
  taesd::Block last_block_;
  int64_t latent_channels_ = 0;
};

// Loads from any weight file open_tensor_store reads (taef1_encoder.safetensors, .pth, ...).
// `placement`: where the weights go (pipeline/placement); the host when empty. forward() takes its
// input wherever it is and returns its output where the weights are.
TaesdEncoder load_taesd_encoder(const std::string& path, const StorePlacement& placement = {});
TaesdDecoder load_taesd_decoder(const std::string& path, const StorePlacement& placement = {});

}  // namespace fluxgen
