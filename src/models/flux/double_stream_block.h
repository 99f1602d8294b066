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
  void for_each_linear(const nn::LinearVisitor& f) {
    mod.for_each_linear(f);
    f(attn_qkv);
    f(attn_proj);
    f(mlp_0);
    f(mlp_2);
  }
};

// A double block's two outputs.
struct StreamPair {
  Tensor img, txt;
};

class DoubleStreamBlock {
 public:
  DoubleStreamBlock() = default;
  DoubleStreamBlock(const Weights& w, const FluxConfig& c, const nn::StoragePolicy& policy);
  // img [B, Li, hidden], txt [B, Lt, hidden], vec [B, hidden]; pe over [txt, img].
  StreamPair forward(const Tensor& img, const Tensor& txt, const Tensor& vec, const RopeTables& pe) const;
  void for_each_linear(const nn::LinearVisitor& f) {
    img.for_each_linear(f);
    txt.for_each_linear(f);
  }

  StreamWeights img, txt;

 private:
  int64_t heads_ = 1;
};

}  // namespace fluxgen::flux
