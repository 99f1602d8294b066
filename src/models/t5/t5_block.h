// One T5 encoder block, names as in the checkpoint:
//   layer.0: layer_norm (RMS, no mean) -> SelfAttention (q, k, v, o; no 1/sqrt(d) scaling; the
//            shared relative position bias added to the scores) -> residual
//   layer.1: layer_norm -> DenseReluDense (v1.1: wo(gelu_tanh(wi_0 x) * wi_1 x); v1.0: wo(relu(wi x)))
//            -> residual
#pragma once
#include <string>
#include <utility>
#include <vector>

#include "models/t5/t5_config.h"
#include "nn/modules.h"

namespace fluxgen::t5 {

struct T5Attention {
  T5Attention() = default;
  T5Attention(const Weights& w, const T5Config& c, const nn::StoragePolicy& policy);
  // x [B, L, d_model], bias [1, heads, L, L] -> [B, L, d_model]
  Tensor forward(const Tensor& x, const Tensor& bias) const;

  nn::Linear q, k, v, o;
  int64_t heads = 0, d_kv = 0;
};

struct T5FeedForward {
  T5FeedForward() = default;
  T5FeedForward(const Weights& w, const T5Config& c, const nn::StoragePolicy& policy);
  Tensor forward(const Tensor& x) const;

  bool gated = true;
  nn::Linear wi_0, wi_1, wi, wo;  // wi_0/wi_1 when gated, wi otherwise
};

struct T5Block {
  T5Block() = default;
  T5Block(const Weights& w, const T5Config& c, const nn::StoragePolicy& policy);
  Tensor forward(const Tensor& x, const Tensor& bias) const;
  // Linear layers by module name within the block ("layer.0.SelfAttention.q", ...).
  void for_each_linear(const nn::LinearVisitor& f);

  nn::RMSNorm attention_norm;  // layer.0.layer_norm
  T5Attention attention;       // layer.0.SelfAttention
  nn::RMSNorm ff_norm;         // layer.1.layer_norm
  T5FeedForward ff;            // layer.1.DenseReluDense
};

}  // namespace fluxgen::t5
