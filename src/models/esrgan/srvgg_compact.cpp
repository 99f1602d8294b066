#include "models/esrgan/srvgg_compact.h"

#include <cmath>
#include <cstdlib>

#include "backend/ops.h"
#include "util/error.h"
#include "util/strings.h"

namespace fluxgen {

SRVGGConfig infer_srvgg_config(const Weights& w, CompactActivation parameterless) {
  const std::string& src = w.store().source();
  SRVGGConfig c;
  const Shape first = w.shape("body.0.weight");
  check(first.size() == 4, src, ": body.0.weight has shape ", shape_string(first), ", expected a convolution");
  c.num_feat = first[0];
  c.in_channels = first[1];
  // The last conv has the highest body index (parameterless activations leave gaps in between).
  int64_t last = 0;
  while (w.has("body." + std::to_string(last + 2) + ".weight")) last += 2;
  check(last >= 2, src, ": an SRVGGNetCompact needs at least two convolutions (body.0 and body.2)");
  c.num_conv = (last - 2) / 2;
  for (const auto& name : w.store().names()) {
    if (name.rfind(w.key("body."), 0) != 0) continue;
    const std::string rest = name.substr(w.key("body.").size());
    const int64_t index = std::atoll(rest.c_str());
    check(index <= last, src, ": tensor ", name, " lies beyond the last convolution body.", last,
          " (a missing layer in between?)");
  }
  const Shape tail = w.shape("body." + std::to_string(last) + ".weight");
  check(tail.size() == 4 && tail[1] == c.num_feat, src, ": body.", last, ".weight has shape ", shape_string(tail),
        ", expected [out*scale^2, ", c.num_feat, ", 3, 3]");
  c.out_channels = c.in_channels;  // the upsampled input is added to the output
  const int64_t s2 = tail[0] / c.out_channels;
  const int s = static_cast<int>(std::lround(std::sqrt(static_cast<double>(s2))));
  check(tail[0] % c.out_channels == 0 && s >= 1 && int64_t{s} * s == s2, src, ": the last conv's ", tail[0],
        " output channels are not ", c.out_channels, " x scale^2");
  c.scale = s;
  c.activation = w.has("body.1.weight") ? CompactActivation::PReLU : parameterless;
  return c;
}

SRVGGNetCompact::SRVGGNetCompact(const Weights& w, CompactActivation parameterless)
    : config_(infer_srvgg_config(w, parameterless)) {
  const Weights body = w.sub("body");
  const int64_t nf = config_.num_feat;
  for (int64_t k = 0; k <= config_.num_conv + 1; ++k) {
    const int64_t in = k == 0 ? config_.in_channels : nf;
    const int64_t out = k == config_.num_conv + 1 ? config_.out_channels * config_.scale * config_.scale : nf;
    const Weights conv = body.sub(2 * k);
    check(conv.shape("weight").size() == 4 && conv.shape("weight")[2] == 3 && conv.shape("weight")[3] == 3,
          w.store().source(), ": tensor ", conv.key("weight"), " is not a 3x3 convolution");
    convs_.emplace_back(conv, in, out, /*stride=*/1, /*padding=*/1);
    if (k <= config_.num_conv && config_.activation == CompactActivation::PReLU) {
      const Weights act = body.sub(2 * k + 1);
      const Shape s = act.shape("weight");
      check(s.size() == 1 && (s[0] == nf || s[0] == 1), w.store().source(), ": PReLU ", act.key("weight"),
            " has shape ", shape_string(s), ", expected [", nf, "] or [1]");
      slopes_.push_back(act.get("weight"));
    }
  }
}

Tensor SRVGGNetCompact::activate(const Tensor& x, size_t i) const {
  switch (config_.activation) {
    case CompactActivation::PReLU: return ops::prelu(x, slopes_[i]);
    case CompactActivation::LeakyReLU: return ops::leaky_relu(x, 0.1f);
    case CompactActivation::ReLU: break;
  }
  return ops::relu(x);
}

Tensor SRVGGNetCompact::forward(const Tensor& x) const {
  check(x.ndim() == 4 && x.dim(1) == config_.in_channels, "SRVGGNetCompact: input ", x.describe(), " is not [N, ",
        config_.in_channels, ", H, W]");
  Tensor h = x;
  for (size_t k = 0; k + 1 < convs_.size(); ++k) h = activate(convs_[k].forward(h), k);
  h = ops::pixel_shuffle(convs_.back().forward(h), config_.scale);
  return ops::add(h, ops::upsample_nearest(x, config_.scale));
}

}  // namespace fluxgen
