#include "nn/modules.h"

#include "tensor/convert.h"
#include "util/error.h"
#include "util/strings.h"

namespace fluxgen::nn {

Linear::Linear(const Weights& w, int64_t in, int64_t out, bool bias, const StoragePolicy& policy)
    : key_(w.prefix().empty() ? "" : w.prefix().substr(0, w.prefix().size() - 1)),
      weight_(w.layer_weight("weight", {out, in}, policy.linear_dtype, policy.block_size)) {
  if (bias) bias_ = w.get("bias", {out});
}

std::vector<std::pair<std::string, Linear*>> linears_by_key(const std::string& root,
                                                            const std::function<void(const LinearVisitor&)>& walk) {
  std::vector<std::pair<std::string, Linear*>> out;
  walk([&](Linear& l) {
    check(l.key().size() > root.size() && l.key().compare(0, root.size(), root) == 0,
          "internal: linear layer \"", l.key(), "\" is not under the model's prefix \"", root, "\"");
    out.emplace_back(l.key().substr(root.size()), &l);
  });
  return out;
}

Linear::Linear(Tensor weight, std::optional<Tensor> bias) : weight_(std::move(weight)), bias_(std::move(bias)) {
  check(weight_.ndim() == 2, "Linear: weight must be 2-D, got ", weight_.describe());
}

Tensor Linear::forward(const Tensor& x) const {
  if (deltas_.empty()) return ops::linear(x, weight_, bias_ ? &*bias_ : nullptr);
  const int64_t in = in_features(), out = out_features();
  const int64_t tokens = x.numel() / in;
  // The side path x·downᵀ·upᵀ costs tokens·rank·(in+out) per call; folding the deltas into the
  // dequantized weight costs rank·in·out. Take whichever is cheaper for this call.
  if (tokens * (in + out) > in * out) {
    Tensor w = ops::dequantize(weight_);
    for (const LowRankDelta& d : deltas_) w = add_rows(w, d, dense_delta(d), 0);
    return ops::linear(x, w, bias_ ? &*bias_ : nullptr);
  }
  Tensor y = ops::linear(x, weight_, bias_ ? &*bias_ : nullptr);
  for (const LowRankDelta& d : deltas_) {
    Tensor delta = ops::linear(ops::linear(x, d.down), d.up);
    if (d.scale != 1.0f) delta = ops::scale(delta, d.scale);
    y = add_rows(y, d, delta, -1);
  }
  return y;
}

Tensor Linear::dense_delta(const LowRankDelta& d) {
  // up [rows, r] · down [r, in] as linear(up, downᵀ).
  Tensor delta = ops::linear(d.up, ops::permute(ops::dequantize(d.down), {1, 0}));
  return d.scale != 1.0f ? ops::scale(delta, d.scale) : delta;
}

Tensor Linear::add_rows(const Tensor& y, const LowRankDelta& d, const Tensor& delta, int dim) {
  // Output features run along dim 0 of a weight and along the last dim of activations.
  const int64_t total = y.dim(dim), rows = delta.dim(dim);
  if (d.row_begin == 0 && rows == total) return ops::add(y, delta);
  const int64_t end = d.row_begin + rows;
  std::vector<Tensor> parts;
  if (d.row_begin > 0) parts.push_back(ops::slice(y, dim, 0, d.row_begin));
  parts.push_back(ops::add(ops::slice(y, dim, d.row_begin, end), delta));
  if (end < total) parts.push_back(ops::slice(y, dim, end, total));
  return ops::concat(parts, dim);
}

Conv2d::Conv2d(const Weights& w, int64_t in, int64_t out, int stride, int padding, bool bias, int groups)
    : stride_(stride), padding_(padding), groups_(groups) {
  const Shape s = w.shape("weight");
  if (s.size() != 4 || s[0] != out || s[1] * groups != in)
    fail(w.store().source(), ": tensor ", w.key("weight"), " has shape ", shape_string(s), ", expected [", out, ", ",
         in / groups, ", k, k]");
  weight_ = w.get("weight");
  if (bias) bias_ = w.get("bias", {out});
}

Conv2d::Conv2d(Tensor weight, std::optional<Tensor> bias, int stride, int padding, int groups)
    : weight_(std::move(weight)), bias_(std::move(bias)), stride_(stride), padding_(padding), groups_(groups) {}

Tensor Conv2d::forward(const Tensor& x) const {
  return ops::conv2d(x, weight_, bias_ ? &*bias_ : nullptr, stride_, padding_, groups_);
}

LayerNorm::LayerNorm(const Weights& w, int64_t dim, float eps, bool affine) : eps_(eps) {
  if (affine) {
    weight_ = w.get("weight", {dim});
    bias_ = w.get("bias", {dim});
  }
}

Tensor LayerNorm::forward(const Tensor& x) const {
  return ops::layer_norm(x, weight_ ? &*weight_ : nullptr, bias_ ? &*bias_ : nullptr, eps_);
}

RMSNorm::RMSNorm(const Weights& w, int64_t dim, float eps, const char* param) : scale_(w.get(param, {dim})), eps_(eps) {}

Tensor RMSNorm::forward(const Tensor& x) const { return ops::rms_norm(x, &scale_, eps_); }

GroupNorm::GroupNorm(const Weights& w, int groups, int64_t channels, float eps)
    : weight_(w.get("weight", {channels})), bias_(w.get("bias", {channels})), groups_(groups), eps_(eps) {}

Tensor GroupNorm::forward(const Tensor& x) const { return ops::group_norm(x, groups_, &weight_, &bias_, eps_); }

}  // namespace fluxgen::nn
