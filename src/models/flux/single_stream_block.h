// FLUX SingleStreamBlock (checkpoint keys single_blocks.N.*): one fused linear1 produces q, k, v
// and the MLP input in parallel; linear2 maps [attention, GELU(mlp)] back to the hidden size.
#pragma once
#include "models/flux/flux_attention.h"
#include "models/flux/flux_config.h"

namespace fluxgen::flux {

class SingleStreamBlock {
 public:
  SingleStreamBlock() = default;
  SingleStreamBlock(const Weights& w, const FluxConfig& c, const nn::StoragePolicy& policy);
  Tensor forward(const Tensor& x, const Tensor& vec, const RopeTables& pe) const;
  void for_each_linear(const nn::LinearVisitor& f) {
    f(linear1);
    f(linear2);
    modulation.for_each_linear(f);
  }

  nn::Linear linear1, linear2;
  QKNorm norm;
  Modulation modulation;

 private:
  int64_t heads_ = 1, hidden_ = 0;
};

}  // namespace fluxgen::flux
