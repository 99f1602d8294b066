// The diffusers naming of the FLUX transformer (transformer_blocks.N.attn.to_q ...) mapped onto
// BFL's (double_blocks.N.img_attn.qkv ...), following diffusers' own converter
// (convert_flux_transformer_checkpoint_to_diffusers): q/k/v and the single blocks' proj_mlp are row
// blocks of BFL's fused qkv/linear1, and norm_out.linear stores (scale, shift) where BFL's
// final_layer.adaLN_modulation.1 stores (shift, scale). The same table maps PEFT LoRAs.
#pragma once
#include <memory>
#include <string>
#include <vector>

#include "io/tensor_store.h"
#include "models/flux/flux_config.h"

namespace fluxgen::flux {

struct DiffusersPart {
  std::string module;  // diffusers module name, e.g. "transformer_blocks.0.attn.to_k"
  int64_t rows;        // how many output rows of the BFL weight it holds
};

struct ModuleMapping {
  std::string bfl;  // BFL module name, e.g. "double_blocks.0.img_attn.qkv"
  std::vector<DiffusersPart> parts;  // concatenated along dim 0 in this order
  bool swap_halves = false;          // final layer: (scale, shift) <-> (shift, scale)
  bool norm_scale = false;           // QK norms: BFL ".scale" is diffusers ".weight"
};

std::vector<ModuleMapping> diffusers_module_map(const FluxConfig& c);

// A view of a diffusers-layout FLUX file under BFL names (fused tensors are assembled on access).
std::shared_ptr<TensorStore> diffusers_as_bfl(std::shared_ptr<const TensorStore> store, const std::string& prefix,
                                              const FluxConfig& c);

}  // namespace fluxgen::flux
