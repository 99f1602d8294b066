#include "models/clip/clip_encoder_layer.h"

namespace fluxgen::clip {

ClipAttention::ClipAttention(const Weights& w, const ClipTextConfig& c, const nn::StoragePolicy& policy)
    : q_proj(w.sub("q_proj"), c.hidden_size, c.hidden_size, true, policy),
      k_proj(w.sub("k_proj"), c.hidden_size, c.hidden_size, true, policy),
      v_proj(w.sub("v_proj"), c.hidden_size, c.hidden_size, true, policy),
      out_proj(w.sub("out_proj"), c.hidden_size, c.hidden_size, true, policy),
      heads(c.num_attention_heads) {}

Tensor ClipAttention::forward(const Tensor& x) const {
  const int64_t B = x.dim(0), L = x.dim(1), D = x.dim(2), hd = D / heads;
  auto split = [&](const Tensor& t) { return ops::permute(t.reshape({B, L, heads, hd}), {0, 2, 1, 3}); };
  // Scaled by 1/sqrt(head_dim) (transformers scales q by the same factor before the product).
  const Tensor o = ops::attention(split(q_proj.forward(x)), split(k_proj.forward(x)), split(v_proj.forward(x)),
                                  nullptr, /*causal=*/true);
  return out_proj.forward(ops::permute(o, {0, 2, 1, 3}).reshape({B, L, D}));
}

ClipMlp::ClipMlp(const Weights& w, const ClipTextConfig& c, const nn::StoragePolicy& policy)
    : fc1(w.sub("fc1"), c.hidden_size, c.intermediate_size, true, policy),
      fc2(w.sub("fc2"), c.intermediate_size, c.hidden_size, true, policy),
      quick_gelu(c.hidden_act == "quick_gelu") {}

Tensor ClipMlp::forward(const Tensor& x) const {
  const Tensor h = fc1.forward(x);
  return fc2.forward(quick_gelu ? ops::quick_gelu(h) : ops::gelu(h));
}

ClipEncoderLayer::ClipEncoderLayer(const Weights& w, const ClipTextConfig& c, const nn::StoragePolicy& policy)
    : layer_norm1(w.sub("layer_norm1"), c.hidden_size, c.layer_norm_eps),
      layer_norm2(w.sub("layer_norm2"), c.hidden_size, c.layer_norm_eps),
      self_attn(w.sub("self_attn"), c, policy),
      mlp(w.sub("mlp"), c, policy) {}

Tensor ClipEncoderLayer::forward(const Tensor& x) const {
  const Tensor h = ops::add(x, self_attn.forward(layer_norm1.forward(x)));
  return ops::add(h, mlp.forward(layer_norm2.forward(h)));
}

void ClipEncoderLayer::for_each_linear(const nn::LinearVisitor& f) {
  for (nn::Linear* l : {&self_attn.q_proj, &self_attn.k_proj, &self_attn.v_proj, &self_attn.out_proj, &mlp.fc1, &mlp.fc2})
    f(*l);
}

}  // namespace fluxgen::clip
