#include "models/clip/clip_parameters.h"

namespace fluxgen::clip {

std::map<std::string, Shape> clip_parameter_shapes(const ClipTextConfig& c) {
  std::map<std::string, Shape> s;
  const int64_t D = c.hidden_size, F = c.intermediate_size;
  s["text_model.embeddings.token_embedding.weight"] = {c.vocab_size, D};
  s["text_model.embeddings.position_embedding.weight"] = {c.max_position_embeddings, D};
  s["text_model.final_layer_norm.weight"] = {D};
  s["text_model.final_layer_norm.bias"] = {D};
  for (int64_t i = 0; i < c.num_hidden_layers; ++i) {
    const std::string l = "text_model.encoder.layers." + std::to_string(i) + ".";
    for (const char* p : {"q_proj", "k_proj", "v_proj", "out_proj"}) {
      s[l + "self_attn." + p + ".weight"] = {D, D};
      s[l + "self_attn." + p + ".bias"] = {D};
    }
    for (const char* n : {"layer_norm1", "layer_norm2"}) {
      s[l + n + ".weight"] = {D};
      s[l + n + ".bias"] = {D};
    }
    s[l + "mlp.fc1.weight"] = {F, D};
    s[l + "mlp.fc1.bias"] = {F};
    s[l + "mlp.fc2.weight"] = {D, F};
    s[l + "mlp.fc2.bias"] = {D};
  }
  return s;
}

}  // namespace fluxgen::clip
