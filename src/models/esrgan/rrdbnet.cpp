#include "models/esrgan/rrdbnet.h"

#include "backend/ops.h"
#include "util/error.h"
#include "util/strings.h"

namespace fluxgen {
namespace {

constexpr float kSlope = 0.2f;     // LeakyReLU everywhere in ESRGAN
constexpr float kResidual = 0.2f;  // residual scaling of dense blocks and RRDBs

nn::Conv2d conv3x3(const Weights& w, int64_t in, int64_t out) {
  const Shape s = w.shape("weight");
  check(s.size() == 4 && s[2] == 3 && s[3] == 3, w.store().source(), ": tensor ", w.key("weight"), " has shape ",
        shape_string(s), ", expected a 3x3 convolution [", out, ", ", in, ", 3, 3]");
  return nn::Conv2d(w, in, out, /*stride=*/1, /*padding=*/1);
}

}  // namespace

RRDBNetConfig infer_rrdbnet_config(const Weights& w) {
  RRDBNetConfig c;
  const Shape first = w.shape("conv_first.weight");
  const Shape last = w.shape("conv_last.weight");
  check(first.size() == 4 && last.size() == 4, w.store().source(), ": conv_first/conv_last must be 4-D convolutions");
  c.nf = first[0];
  c.out_channels = last[0];
  const int64_t in_total = first[1];
  // Real-ESRGAN x2 / x1 models see a pixel-unshuffled image: 4 or 16 times the channels.
  if (in_total == c.out_channels * 16) {
    c.unshuffle = 4;
  } else if (in_total == c.out_channels * 4) {
    c.unshuffle = 2;
  }
  c.in_channels = in_total / (c.unshuffle * c.unshuffle);
  c.nb = w.count("body");
  c.gc = c.nb > 0 ? w.shape("body.0.rdb1.conv1.weight")[0] : 32;
  c.upsample_steps = 0;
  while (w.has("conv_up" + std::to_string(c.upsample_steps + 1) + ".weight")) ++c.upsample_steps;
  check(c.upsample_steps <= 4, w.store().source(), ": ", c.upsample_steps, " upsampling convs (at most 4 supported)");
  check((1 << c.upsample_steps) % c.unshuffle == 0, w.store().source(), ": ", c.upsample_steps,
        " x2 upsampling steps after a x", c.unshuffle, " pixel-unshuffle make no integer scale");
  check(c.nf > 0 && c.gc > 0 && c.out_channels > 0, w.store().source(), ": empty convolutions");
  return c;
}

RRDBNet::RRDBNet(const Weights& w) : config_(infer_rrdbnet_config(w)) {
  const int64_t nf = config_.nf, gc = config_.gc;
  conv_first_ = conv3x3(w.sub("conv_first"), config_.in_channels * config_.unshuffle * config_.unshuffle, nf);
  body_.resize(static_cast<size_t>(config_.nb));
  for (int64_t b = 0; b < config_.nb; ++b) {
    const Weights block = w.sub("body").sub(b);
    for (int r = 0; r < 3; ++r) {
      const Weights rdb = block.sub("rdb" + std::to_string(r + 1));
      for (int j = 0; j < 5; ++j)
        body_[b].rdb[r].conv[j] = conv3x3(rdb.sub("conv" + std::to_string(j + 1)), nf + j * gc, j < 4 ? gc : nf);
    }
  }
  conv_body_ = conv3x3(w.sub("conv_body"), nf, nf);
  for (int u = 1; u <= config_.upsample_steps; ++u) conv_up_.push_back(conv3x3(w.sub("conv_up" + std::to_string(u)), nf, nf));
  conv_hr_ = conv3x3(w.sub("conv_hr"), nf, nf);
  conv_last_ = conv3x3(w.sub("conv_last"), nf, config_.out_channels);
}

Tensor RRDBNet::DenseBlock::forward(const Tensor& x) const {
  std::vector<Tensor> features{x};
  for (int j = 0; j < 4; ++j) features.push_back(ops::leaky_relu(conv[j].forward(ops::concat(features, 1)), kSlope));
  const Tensor x5 = conv[4].forward(ops::concat(features, 1));
  return ops::add(ops::scale(x5, kResidual), x);
}

Tensor RRDBNet::RRDB::forward(const Tensor& x) const {
  Tensor out = rdb[2].forward(rdb[1].forward(rdb[0].forward(x)));
  return ops::add(ops::scale(out, kResidual), x);
}

Tensor RRDBNet::forward(const Tensor& x_in) const {
  check(x_in.ndim() == 4 && x_in.dim(1) == config_.in_channels, "RRDBNet: input ", x_in.describe(), " is not [N, ",
        config_.in_channels, ", H, W]");
  check(x_in.dim(2) % config_.unshuffle == 0 && x_in.dim(3) % config_.unshuffle == 0, "RRDBNet: input ",
        x_in.describe(), " must have a height and width divisible by ", config_.unshuffle);
  Tensor x = config_.unshuffle > 1 ? ops::pixel_unshuffle(x_in, config_.unshuffle) : x_in;
  Tensor feat = conv_first_.forward(x);
  Tensor trunk = feat;
  for (const RRDB& block : body_) trunk = block.forward(trunk);
  feat = ops::add(feat, conv_body_.forward(trunk));
  for (const nn::Conv2d& up : conv_up_) feat = ops::leaky_relu(up.forward(ops::upsample_nearest(feat, 2)), kSlope);
  return conv_last_.forward(ops::leaky_relu(conv_hr_.forward(feat), kSlope));
}

}  // namespace fluxgen
