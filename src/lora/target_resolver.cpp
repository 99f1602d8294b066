#include "lora/target_resolver.h"

#include <regex>

#include "models/flux/diffusers_layout.h"
#include "util/strings.h"

namespace fluxgen::lora {

namespace {
std::string underscored(std::string s) {
  for (char& c : s)
    if (c == '.') c = '_';
  return s;
}

// kohya flattens module paths with '_', which also occurs inside names (self_attn, q_proj): match
// the flattened text against the known module shapes of each text encoder instead of guessing.
std::optional<ResolvedTarget> resolve_text_encoder(const std::string& key) {
  static const std::regex clip(
      R"(^(?:lora_te1_|lora_te_|text_encoder[._]|te1[._])?text_model[._]encoder[._]layers[._](\d+)[._](self_attn[._](q|k|v|out)_proj|mlp[._]fc(1|2))$)");
  static const std::regex t5(
      R"(^(?:lora_te2_|text_encoder_2[._]|te2[._])?encoder[._]block[._](\d+)[._]layer[._](0[._]SelfAttention[._](q|k|v|o)|1[._]DenseReluDense[._](wi_0|wi_1|wo))$)");
  std::smatch m;
  if (std::regex_match(key, m, clip)) {
    std::string module = "text_model.encoder.layers." + m[1].str() + ".";
    module += m[3].matched ? "self_attn." + m[3].str() + "_proj" : "mlp.fc" + m[4].str();
    return ResolvedTarget{Component::ClipL, module, 0, false};
  }
  if (std::regex_match(key, m, t5)) {
    std::string module = "encoder.block." + m[1].str() + ".layer.";
    module += m[3].matched ? "0.SelfAttention." + m[3].str() : "1.DenseReluDense." + m[4].str();
    return ResolvedTarget{Component::T5, module, 0, false};
  }
  return std::nullopt;
}
}  // namespace

TargetResolver::TargetResolver(const flux::FluxConfig& c) {
  for (const flux::ModuleMapping& mm : flux::diffusers_module_map(c)) {
    if (mm.norm_scale) continue;  // norms carry no LoRA
    const ResolvedTarget whole{Component::Transformer, mm.bfl, 0, false};
    for (const std::string& alias : {mm.bfl, "diffusion_model." + mm.bfl, "model.diffusion_model." + mm.bfl,
                                     "lora_unet_" + underscored(mm.bfl), "base_model.model.diffusion_model." + mm.bfl})
      transformer_[alias] = whole;
    int64_t row = 0;
    for (const flux::DiffusersPart& p : mm.parts) {
      const ResolvedTarget part{Component::Transformer, mm.bfl, row, mm.swap_halves};
      for (const std::string& alias :
           {"transformer." + p.module, p.module, "lora_transformer_" + underscored(p.module),
            "lycoris_" + underscored(p.module), "base_model.model." + p.module, "base_model.model.transformer." + p.module})
        transformer_.emplace(alias, part);
      row += p.rows;
    }
  }
}

std::optional<ResolvedTarget> TargetResolver::resolve(const std::string& key) const {
  auto it = transformer_.find(key);
  if (it != transformer_.end()) return it->second;
  return resolve_text_encoder(key);
}

}  // namespace fluxgen::lora
