// CLIP's text tower (transformers' CLIPTextModel), the "CLIP-L" FLUX conditions on: token +
// position embeddings, causal pre-norm transformer layers, final LayerNorm. Loads the
// transformers layout (`text_model.*`) alone or under any prefix of an all-in-one checkpoint
// (`text_encoders.clip_l.transformer.`, `cond_stage_model.transformer.`,
// `conditioner.embedders.0.transformer.` ...), weights in any stored dtype.
#pragma once
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "models/clip/clip_encoder_layer.h"
#include "models/clip/clip_text_config.h"

namespace fluxgen::clip {

struct ClipTextOutput {
  Tensor last_hidden_state;  // [B, L, D] after the final LayerNorm
  Tensor penultimate;        // [B, L, D] hidden_states[-2]: the second-to-last layer's output, no final norm
  Tensor pooled;             // [B, D] last_hidden_state at the end-of-text token (FLUX's `y`)
};

struct ClipLoadOptions {
  std::optional<DType> storage;  // linear weights converted to this dtype; nullopt keeps the file's
  int block_size = 64;
};

class ClipTextModel {
 public:
  static std::unique_ptr<ClipTextModel> load(std::shared_ptr<const TensorStore> store,
                                             const ClipLoadOptions& options = {});

  // ids [B, L] (any integer or float dtype), L <= max_position_embeddings.
  ClipTextOutput forward(const Tensor& ids) const;
  // One sequence (a ClipTokenizer::encode result).
  ClipTextOutput forward(const std::vector<int32_t>& ids) const;

  const ClipTextConfig& config() const { return config_; }
  // The weights under the model's own names ("text_model.encoder.layers.0.self_attn.q_proj.weight").
  const Weights& source() const { return source_; }
  // Every linear layer by module name ("text_model.encoder.layers.0.self_attn.q_proj"), for LoRA.
  std::vector<std::pair<std::string, nn::Linear*>> linear_layers();

 private:
  ClipTextConfig config_;
  Weights source_;
  Tensor token_embedding, position_embedding;
  std::vector<ClipEncoderLayer> layers;
  nn::LayerNorm final_layer_norm;
};

// The sequence position transformers' CLIPTextModel pools at for one row of ids: with
// eos_token_id 2 (CLIP-L's config) the first position of the largest id; otherwise the first
// position of eos_token_id (0 when absent).
int64_t clip_pooled_position(const int64_t* ids, int64_t length, int64_t eos_token_id);

}  // namespace fluxgen::clip
