// The diffusers AutoencoderKL naming (encoder.down_blocks.N.resnets.M, mid_block.attentions.0.to_q,
// decoder.up_blocks numbered from the lowest resolution ...) seen under BFL's names, the way
// diffusers' own single-file converter maps them. Attention projections are Linear in diffusers
// ([C, C]) and 1×1 convolutions in BFL ([C, C, 1, 1]).
#pragma once
#include <memory>

#include "io/tensor_store.h"
#include "models/vae/vae_config.h"

namespace fluxgen::vae {

std::shared_ptr<TensorStore> diffusers_vae_as_bfl(std::shared_ptr<const TensorStore> store, const std::string& prefix,
                                                  const VaeConfig& c);

}  // namespace fluxgen::vae
