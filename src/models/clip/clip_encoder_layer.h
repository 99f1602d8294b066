// One layer of CLIP's text transformer (transformers' CLIPEncoderLayer), names as in the
// checkpoint: layer_norm1 -> self_attn (q_proj, k_proj, v_proj, out_proj; causal) -> residual,
// layer_norm2 -> mlp (fc1, activation, fc2) -> residual.
#pragma once
#include <string>
#include <utility>
#include <vector>

#include "models/clip/clip_text_config.h"
#include "nn/modules.h"

namespace fluxgen::clip {

struct ClipAttention {
  ClipAttention() = default;
  ClipAttention(const Weights& w, const ClipTextConfig& c, const nn::StoragePolicy& policy);
  // x [B, L, D] -> [B, L, D], each token attending to itself and the tokens before it.
  Tensor forward(const Tensor& x) const;

  nn::Linear q_proj, k_proj, v_proj, out_proj;
  int64_t heads = 0;
};

struct ClipMlp {
  ClipMlp() = default;
  ClipMlp(const Weights& w, const ClipTextConfig& c, const nn::StoragePolicy& policy);
  Tensor forward(const Tensor& x) const;

  nn::Linear fc1, fc2;
  bool quick_gelu = true;
};

struct ClipEncoderLayer {
  ClipEncoderLayer() = default;
  ClipEncoderLayer(const Weights& w, const ClipTextConfig& c, const nn::StoragePolicy& policy);
  Tensor forward(const Tensor& x) const;
  // Linear layers by their module names within the layer ("self_attn.q_proj", ...).
  void for_each_linear(const nn::LinearVisitor& f);

  nn::LayerNorm layer_norm1, layer_norm2;
  ClipAttention self_attn;
  ClipMlp mlp;
};

}  // namespace fluxgen::clip
