// CLIP text tower hyper-parameters (transformers' CLIPTextConfig) and where the tower sits in a
// weight file. The configuration comes from the file's metadata `config` JSON when it has one
// (fluxgen's fixtures do), else it is inferred from shapes: hidden size from the token
// embedding, layers counted, 64-wide heads, quick_gelu, eps 1e-5 (CLIP-L's values).
#pragma once
#include <optional>
#include <string>

#include "io/json.h"
#include "io/tensor_store.h"

namespace fluxgen::clip {

struct ClipTextConfig {
  int64_t vocab_size = 49408;
  int64_t hidden_size = 768;
  int64_t intermediate_size = 3072;
  int64_t num_hidden_layers = 12;
  int64_t num_attention_heads = 12;
  int64_t max_position_embeddings = 77;
  std::string hidden_act = "quick_gelu";  // or "gelu"
  float layer_norm_eps = 1e-5f;
  // 2 selects transformers' legacy pooling (position of the largest id), which is what CLIP-L's
  // published config (eos_token_id 2) runs; any other value pools at its first occurrence.
  int64_t eos_token_id = 2;

  int64_t head_dim() const { return hidden_size / num_attention_heads; }
  // Overrides the CLIPTextConfig fields present in `v`; throws on wrong types.
  void apply_json(const json::Value& v);
  void validate(const std::string& source) const;
};

// The key prefix of the CLIP text model in the store ("" for a plain transformers file,
// "text_encoders.clip_l.transformer." in an all-in-one checkpoint ...), found by the token
// embedding's key; with several, the 768-wide one (CLIP-L). nullopt when there is none.
std::optional<std::string> find_clip_text(const TensorStore& store);

// Shapes first, then the metadata `config` when it is a CLIPTextConfig of the same width.
ClipTextConfig infer_clip_text_config(const TensorStore& store, const std::string& prefix);

}  // namespace fluxgen::clip
