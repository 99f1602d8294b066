#include "models/t5/t5_parameters.h"

namespace fluxgen::t5 {

std::map<std::string, Shape> t5_parameter_shapes(const T5Config& c) {
  std::map<std::string, Shape> s;
  const int64_t D = c.d_model, I = c.inner_dim(), F = c.d_ff;
  s["shared.weight"] = {c.vocab_size, D};
  s["encoder.final_layer_norm.weight"] = {D};
  for (int64_t i = 0; i < c.num_layers; ++i) {
    const std::string b = "encoder.block." + std::to_string(i) + ".layer.";
    for (const char* p : {"q", "k", "v"}) s[b + "0.SelfAttention." + p + ".weight"] = {I, D};
    s[b + "0.SelfAttention.o.weight"] = {D, I};
    if (i == 0) s[b + "0.SelfAttention.relative_attention_bias.weight"] = {c.relative_attention_num_buckets, c.num_heads};
    s[b + "0.layer_norm.weight"] = {D};
    if (c.gated_gelu) {
      s[b + "1.DenseReluDense.wi_0.weight"] = {F, D};
      s[b + "1.DenseReluDense.wi_1.weight"] = {F, D};
    } else {
      s[b + "1.DenseReluDense.wi.weight"] = {F, D};
    }
    s[b + "1.DenseReluDense.wo.weight"] = {D, F};
    s[b + "1.layer_norm.weight"] = {D};
  }
  return s;
}

}  // namespace fluxgen::t5
