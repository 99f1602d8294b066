// The autoencoder's building blocks in BFL's names: ResnetBlock (norm1, conv1, norm2, conv2,
// nin_shortcut), AttnBlock (norm, q, k, v, proj_out as 1×1 convs), Downsample (asymmetric pad then
// stride-2 conv), Upsample (nearest ×2 then conv).
#pragma once
#include "nn/modules.h"

namespace fluxgen::vae {

class ResnetBlock {
 public:
  ResnetBlock() = default;
  ResnetBlock(const Weights& w, int64_t in, int64_t out);
  Tensor forward(const Tensor& x) const;

 private:
  nn::GroupNorm norm1, norm2;
  nn::Conv2d conv1, conv2;
  std::optional<nn::Conv2d> nin_shortcut;
};

class AttnBlock {
 public:
  AttnBlock() = default;
  AttnBlock(const Weights& w, int64_t channels);
  Tensor forward(const Tensor& x) const;

 private:
  nn::GroupNorm norm;
  nn::Conv2d q, k, v, proj_out;
};

class Downsample {
 public:
  Downsample() = default;
  Downsample(const Weights& w, int64_t channels);
  Tensor forward(const Tensor& x) const;

 private:
  nn::Conv2d conv;
};

class Upsample {
 public:
  Upsample() = default;
  Upsample(const Weights& w, int64_t channels);
  Tensor forward(const Tensor& x) const;

 private:
  nn::Conv2d conv;
};

}  // namespace fluxgen::vae
