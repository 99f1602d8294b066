// Real-ESRGAN's SRVGGNetCompact (realesr-animevideov3, realesr-general-x4v3 ...): body.0 conv
// (in -> num_feat), then num_conv times [activation, conv num_feat -> num_feat], an activation, a
// last conv to out*scale^2 channels, pixel shuffle by scale, plus the nearest-upsampled input.
// body.N indices count the activations too: convs at even N, activations at odd N.
// Configuration from the weights: num_feat and in channels from body.0, num_conv from the last
// conv's index, scale from its output channels. The activation: a PReLU has a 1-D weight
// (body.1.weight, num_feat slopes or one); ReLU and LeakyReLU(0.1) have no weights and cannot be
// told apart from a file, so parameterless models take `activation` (ReLU unless told otherwise).
#pragma once
#include <optional>
#include <vector>

#include "nn/modules.h"
#include "nn/weights.h"

namespace fluxgen {

enum class CompactActivation { PReLU, ReLU, LeakyReLU };

struct SRVGGConfig {
  int64_t in_channels = 3;
  int64_t out_channels = 3;
  int64_t num_feat = 64;
  int64_t num_conv = 16;
  int scale = 4;
  CompactActivation activation = CompactActivation::PReLU;
};

// `parameterless` is the activation assumed when the file has no PReLU weights.
SRVGGConfig infer_srvgg_config(const Weights& w, CompactActivation parameterless = CompactActivation::ReLU);

class SRVGGNetCompact {
 public:
  explicit SRVGGNetCompact(const Weights& w, CompactActivation parameterless = CompactActivation::ReLU);
  // x [N, in_channels, H, W] -> [N, out_channels, H*scale, W*scale].
  Tensor forward(const Tensor& x) const;
  const SRVGGConfig& config() const { return config_; }

 private:
  Tensor activate(const Tensor& x, size_t i) const;
  SRVGGConfig config_;
  std::vector<nn::Conv2d> convs_;   // num_conv + 2
  std::vector<Tensor> slopes_;      // PReLU: num_conv + 1
};

}  // namespace fluxgen
