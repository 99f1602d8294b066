// Building blocks that own weights, each constructed from a Weights view scoped to its key prefix
// (the checkpoint's own names: "weight", "bias", "scale"), checking every shape as it loads.
#pragma once
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "backend/ops.h"
#include "nn/weights.h"

namespace fluxgen::nn {

// How a model's linear weights are stored after loading: as in the file (nullopt), or converted
// to a storage dtype (FLUX's --storage). Norms, biases and embeddings always stay as in the file.
struct StoragePolicy {
  std::optional<DType> linear_dtype;
  int block_size = 64;  // Weights::layer_weight converts (saturating fp8/f16 quantizers)
};

// A low-rank update applied at run time ("online" LoRA): y += scale · (x · downᵀ) · upᵀ, restricted
// to output rows [row_begin, row_begin + up.rows) when it targets part of a fused weight.
struct LowRankDelta {
  Tensor down;  // [rank, in]
  Tensor up;    // [rows, rank]
  float scale = 1.0f;
  int64_t row_begin = 0;
};

class Linear {
 public:
  Linear() = default;
  Linear(const Weights& w, int64_t in, int64_t out, bool bias, const StoragePolicy& policy = {});
  // Builds from tensors already in memory (weights assembled from several file tensors).
  Linear(Tensor weight, std::optional<Tensor> bias);
  Tensor forward(const Tensor& x) const;

  int64_t in_features() const { return weight_.dim(1); }
  int64_t out_features() const { return weight_.dim(0); }
  const Tensor& weight() const { return weight_; }
  void set_weight(Tensor w) { weight_ = std::move(w); }
  const std::optional<Tensor>& bias() const { return bias_; }
  std::vector<LowRankDelta>& online_deltas() { return deltas_; }
  // The layer's key in its file, the store's prefix included ("double_blocks.3.img_attn.qkv");
  // "" when built from tensors. The only spelling of a layer's name: LoRA targets, weight usage
  // and streaming all take it from here (linears_by_key).
  const std::string& key() const { return key_; }

 private:
  static Tensor dense_delta(const LowRankDelta& d);
  static Tensor add_rows(const Tensor& y, const LowRankDelta& d, const Tensor& delta, int dim);
  std::string key_;
  Tensor weight_;
  std::optional<Tensor> bias_;
  std::vector<LowRankDelta> deltas_;
};

// A model's walk over its linear layers: blocks offer for_each_linear(const LinearVisitor&).
using LinearVisitor = std::function<void(Linear&)>;
// Every layer `walk` visits, named by its key relative to `root` (the model's own prefix).
std::vector<std::pair<std::string, Linear*>> linears_by_key(const std::string& root,
                                                            const std::function<void(const LinearVisitor&)>& walk);

class Conv2d {
 public:
  Conv2d() = default;
  // Kernel size is read from the weight; the expected channel counts are checked.
  Conv2d(const Weights& w, int64_t in, int64_t out, int stride = 1, int padding = 0, bool bias = true, int groups = 1);
  // Adopts tensors directly (e.g. a convolution with BatchNorm folded in).
  Conv2d(Tensor weight, std::optional<Tensor> bias, int stride, int padding, int groups = 1);
  Tensor forward(const Tensor& x) const;
  int64_t out_channels() const { return weight_.dim(0); }
  int64_t kernel_size() const { return weight_.dim(2); }
  const Tensor& weight() const { return weight_; }
  const std::optional<Tensor>& bias() const { return bias_; }

 private:
  Tensor weight_;
  std::optional<Tensor> bias_;
  int stride_ = 1, padding_ = 0, groups_ = 1;
};

class LayerNorm {
 public:
  LayerNorm() = default;
  // affine=false: no parameters (FLUX's pre-attention norms).
  LayerNorm(const Weights& w, int64_t dim, float eps, bool affine = true);
  explicit LayerNorm(float eps) : eps_(eps) {}
  Tensor forward(const Tensor& x) const;

 private:
  std::optional<Tensor> weight_, bias_;
  float eps_ = 1e-5f;
};

class RMSNorm {
 public:
  RMSNorm() = default;
  // `param` is the key of the scale: "scale" in FLUX, "weight" in T5.
  RMSNorm(const Weights& w, int64_t dim, float eps, const char* param = "weight");
  Tensor forward(const Tensor& x) const;

 private:
  Tensor scale_;
  float eps_ = 1e-6f;
};

class GroupNorm {
 public:
  GroupNorm() = default;
  GroupNorm(const Weights& w, int groups, int64_t channels, float eps);
  Tensor forward(const Tensor& x) const;

 private:
  Tensor weight_, bias_;
  int groups_ = 32;
  float eps_ = 1e-6f;
};

}  // namespace fluxgen::nn
