#include "models/t5/t5_block.h"

namespace fluxgen::t5 {

T5Attention::T5Attention(const Weights& w, const T5Config& c, const nn::StoragePolicy& policy)
    : q(w.sub("q"), c.d_model, c.inner_dim(), false, policy),
      k(w.sub("k"), c.d_model, c.inner_dim(), false, policy),
      v(w.sub("v"), c.d_model, c.inner_dim(), false, policy),
      o(w.sub("o"), c.inner_dim(), c.d_model, false, policy),
      heads(c.num_heads),
      d_kv(c.d_kv) {}

Tensor T5Attention::forward(const Tensor& x, const Tensor& bias) const {
  const int64_t B = x.dim(0), L = x.dim(1);
  auto split = [&](const Tensor& t) { return ops::permute(t.reshape({B, L, heads, d_kv}), {0, 2, 1, 3}); };
  // T5 folds the 1/sqrt(d_kv) into its initialisation, so the scores are plain dot products.
  const Tensor a = ops::attention(split(q.forward(x)), split(k.forward(x)), split(v.forward(x)), &bias,
                                  /*causal=*/false, /*scale=*/1.0f);
  return o.forward(ops::permute(a, {0, 2, 1, 3}).reshape({B, L, heads * d_kv}));
}

T5FeedForward::T5FeedForward(const Weights& w, const T5Config& c, const nn::StoragePolicy& policy)
    : gated(c.gated_gelu), wo(w.sub("wo"), c.d_ff, c.d_model, false, policy) {
  if (gated) {
    wi_0 = nn::Linear(w.sub("wi_0"), c.d_model, c.d_ff, false, policy);
    wi_1 = nn::Linear(w.sub("wi_1"), c.d_model, c.d_ff, false, policy);
  } else {
    wi = nn::Linear(w.sub("wi"), c.d_model, c.d_ff, false, policy);
  }
}

Tensor T5FeedForward::forward(const Tensor& x) const {
  if (!gated) return wo.forward(ops::relu(wi.forward(x)));
  return wo.forward(ops::mul(ops::gelu_tanh(wi_0.forward(x)), wi_1.forward(x)));
}

T5Block::T5Block(const Weights& w, const T5Config& c, const nn::StoragePolicy& policy)
    : attention_norm(w.sub("layer.0.layer_norm"), c.d_model, c.layer_norm_epsilon),
      attention(w.sub("layer.0.SelfAttention"), c, policy),
      ff_norm(w.sub("layer.1.layer_norm"), c.d_model, c.layer_norm_epsilon),
      ff(w.sub("layer.1.DenseReluDense"), c, policy) {}

Tensor T5Block::forward(const Tensor& x, const Tensor& bias) const {
  const Tensor h = ops::add(x, attention.forward(attention_norm.forward(x), bias));
  return ops::add(h, ff.forward(ff_norm.forward(h)));
}

void T5Block::for_each_linear(const nn::LinearVisitor& f) {
  for (nn::Linear* l : {&attention.q, &attention.k, &attention.v, &attention.o}) f(*l);
  if (ff.gated) {
    f(ff.wi_0);
    f(ff.wi_1);
  } else {
    f(ff.wi);
  }
  f(ff.wo);
}

}  // namespace fluxgen::t5
