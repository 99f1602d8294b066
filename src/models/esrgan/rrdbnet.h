// ESRGAN's RRDBNet (Wang et al. 2018) as Real-ESRGAN/BasicSR define it, for any width (nf), depth
// (nb), growth (gc) and scale: conv_first -> nb Residual-in-Residual Dense Blocks -> conv_body
// (+ the conv_first features) -> per x2 step: nearest x2 upsampling, conv, LeakyReLU(0.2) -> conv_hr,
// LeakyReLU(0.2) -> conv_last. Real-ESRGAN's x2 and x1 models pixel-unshuffle their input by 2 or 4
// first (3*4 or 3*16 input channels) and keep two x2 steps. Everything is inferred from the
// weights (canonical names, see sr_checkpoint.h); computed in fp32.
#pragma once
#include <array>
#include <vector>

#include "nn/modules.h"
#include "nn/weights.h"

namespace fluxgen {

struct RRDBNetConfig {
  int64_t in_channels = 3;   // image channels (before pixel-unshuffle)
  int64_t out_channels = 3;
  int64_t nf = 64;           // feature channels
  int64_t nb = 23;           // RRDB blocks
  int64_t gc = 32;           // dense-block growth channels
  int upsample_steps = 2;    // x2 nearest + conv steps
  int unshuffle = 1;         // pixel-unshuffle factor in front (1, 2 or 4)
  // Output pixels per input pixel (integer: 2^steps / unshuffle).
  int scale() const { return (1 << upsample_steps) / unshuffle; }
};

RRDBNetConfig infer_rrdbnet_config(const Weights& w);

class RRDBNet {
 public:
  explicit RRDBNet(const Weights& w);
  // x [N, in_channels, H, W] -> [N, out_channels, H*scale, W*scale]; H and W must divide by the
  // unshuffle factor.
  Tensor forward(const Tensor& x) const;
  const RRDBNetConfig& config() const { return config_; }

 private:
  struct DenseBlock {  // rdbK: five 3x3 convs over the concatenation of all earlier outputs
    std::array<nn::Conv2d, 5> conv;
    Tensor forward(const Tensor& x) const;
  };
  struct RRDB {  // body.N: three dense blocks inside a scaled residual
    std::array<DenseBlock, 3> rdb;
    Tensor forward(const Tensor& x) const;
  };
  RRDBNetConfig config_;
  nn::Conv2d conv_first_, conv_body_, conv_hr_, conv_last_;
  std::vector<RRDB> body_;
  std::vector<nn::Conv2d> conv_up_;
};

}  // namespace fluxgen
