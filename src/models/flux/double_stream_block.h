// FLUX DoubleStreamBlock (checkpoint keys double_blocks.N.*): image and text tokens keep separate
// weights (img_*/txt_*) but attend jointly over [txt, img].
#pragma once
#include "models/flux/flux_attention.h"
#include "models/flux/flux_config.h"

namespace fluxgen::flux {

// One stream's weights: <s>_mod, <s>_attn.{qkv,norm,proj}, <s>_mlp.{0,2}.
struct StreamWeights {
  Modulation mod;
  nn::Linear attn_qkv;
  QKNorm attn_norm;
  nn::Linear attn_proj;
  nn::Linear mlp_0, mlp_2;
  StreamWeights() = default;
  StreamWeights(const Weights& w, const std::string& stream, const FluxConfig& c, const nn::StoragePolicy& policy);
};

class DoubleStreamBlock {
 public:
  DoubleStreamBlock() = default;
  DoubleStreamBlock(const Weights& w, const FluxConfig& c, const nn::StoragePolicy& policy);
  // img [B, Li, hidden], txt [B, Lt, hidden], vec [B, hidden]; pe over [txt, img].
  void forward(Tensor& img, Tensor& txt, const Tensor& vec, const RopeTables& pe) const;

  StreamWeights img, txt;

 private:
  int64_t heads_ = 1;
};

}  // namespace fluxgen::flux
