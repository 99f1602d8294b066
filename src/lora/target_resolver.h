// Which weight a LoRA module key names. Every naming users meet for FLUX maps here:
//  kohya/sd-scripts  lora_unet_double_blocks_0_img_attn_qkv, lora_te1_text_model_..., lora_te2_encoder_...
//  BFL/ComfyUI       diffusion_model.double_blocks.0.img_attn.qkv (also model.diffusion_model.)
//  diffusers/PEFT    transformer.transformer_blocks.0.attn.to_q (rows of BFL's fused qkv/linear1),
//                    also lora_transformer_/lycoris_ (OneTrainer, SimpleTuner), base_model.model.
// Text encoders: CLIP-L modules text_model.encoder.layers.N.{self_attn.{q,k,v,out}_proj,mlp.fc1,fc2}
// and T5 encoder.block.N.layer.{0.SelfAttention.{q,k,v,o},1.DenseReluDense.{wi_0,wi_1,wo}}.
#pragma once
#include <map>
#include <optional>
#include <string>

#include "lora/lora_set.h"
#include "models/flux/flux_config.h"

namespace fluxgen::lora {

struct ResolvedTarget {
  Component component;
  std::string module;
  int64_t row_begin = 0;
  bool swap_halves = false;
};

class TargetResolver {
 public:
  // The transformer's aliases come from its configuration (row ranges need the hidden size).
  explicit TargetResolver(const flux::FluxConfig& transformer);
  // nullopt when the key names nothing fluxgen has.
  std::optional<ResolvedTarget> resolve(const std::string& module_key) const;

 private:
  std::map<std::string, ResolvedTarget> transformer_;
};

}  // namespace fluxgen::lora
