// T5 encoder hyper-parameters (transformers' T5Config) and where the encoder sits in a weight
// file. From the metadata `config` JSON when present, else inferred: d_model from the embedding,
// heads from the relative attention bias table, d_kv = inner width / heads, layers counted,
// d_ff from the feed-forward, gated-gelu (v1.1) when wi_0/wi_1 exist, else relu (v1.0).
#pragma once
#include <optional>
#include <string>

#include "io/json.h"
#include "io/tensor_store.h"

namespace fluxgen::t5 {

struct T5Config {
  int64_t vocab_size = 32128;
  int64_t d_model = 4096;
  int64_t d_kv = 64;
  int64_t d_ff = 10240;
  int64_t num_layers = 24;
  int64_t num_heads = 64;
  int64_t relative_attention_num_buckets = 32;
  int64_t relative_attention_max_distance = 128;
  float layer_norm_epsilon = 1e-6f;
  bool gated_gelu = true;  // T5 v1.1 (FLUX's T5-XXL); false: v1.0's ReLU feed-forward

  int64_t inner_dim() const { return num_heads * d_kv; }
  void apply_json(const json::Value& v);
  void validate(const std::string& source) const;
};

struct T5Location {
  std::string prefix;     // before "encoder.block.0..."
  std::string embedding;  // "shared.weight" or "encoder.embed_tokens.weight", relative to prefix
};

// nullopt when the store holds no T5 encoder.
std::optional<T5Location> find_t5_encoder(const TensorStore& store);
T5Config infer_t5_config(const TensorStore& store, const T5Location& where);

}  // namespace fluxgen::t5
