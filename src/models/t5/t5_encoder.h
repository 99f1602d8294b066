// The T5 encoder FLUX uses for its text tokens (T5-XXL v1.1; transformers' T5EncoderModel):
// token embedding, blocks sharing block 0's relative position bias, final RMS norm. It runs
// WITHOUT an attention mask, as FLUX does: padding tokens are attended to like any other.
//
// Loads t5xxl_fp16.safetensors-style files (transformers layout `encoder.block.N...`, the table
// as `shared.weight` and/or `encoder.embed_tokens.weight`, any prefix such as
// `text_encoders.t5xxl.transformer.`), with weights stored in fp32/fp16/bf16/fp8 (e4m3fn, e5m2)
// or NF4/FP4, used as stored; an optional storage policy converts the linear weights on load.
//
// Numerics: the CPU backend computes in fp32. Real T5-XXL activations exceed fp16's range in
// some blocks (transformers clamps them when running in fp16); in fp32 nothing overflows, so no
// clamping is done or needed here. A backend computing in fp16 would need it; bf16 does not.
// ComfyUI's "scaled fp8" files (a scale_weight per layer) are refused with a clear error.
#pragma once
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "models/t5/t5_block.h"
#include "models/t5/t5_config.h"

namespace fluxgen::t5 {

struct T5LoadOptions {
  std::optional<DType> storage;  // linear weights converted to this dtype; nullopt keeps the file's
  int block_size = 64;           // NF4/FP4 block size
};

class T5Encoder {
 public:
  static std::unique_ptr<T5Encoder> load(std::shared_ptr<const TensorStore> store, const T5LoadOptions& options = {});

  // ids [B, L] (any integer or float dtype) -> last hidden state [B, L, d_model].
  Tensor forward(const Tensor& ids) const;
  // One sequence (a T5Tokenizer::encode result) -> [1, L, d_model].
  Tensor forward(const std::vector<int32_t>& ids) const;

  const T5Config& config() const { return config_; }
  // The weights under the model's own names ("encoder.block.0.layer.0.SelfAttention.q.weight").
  const Weights& source() const { return source_; }
  // Every linear layer by module name ("encoder.block.0.layer.0.SelfAttention.q"), for LoRA.
  std::vector<std::pair<std::string, nn::Linear*>> linear_layers();

 private:
  T5Config config_;
  Weights source_;
  Tensor embed_tokens;             // shared.weight
  Tensor relative_attention_bias;  // block 0's [buckets, heads] table
  std::vector<T5Block> blocks;
  nn::RMSNorm final_layer_norm;
};

}  // namespace fluxgen::t5
