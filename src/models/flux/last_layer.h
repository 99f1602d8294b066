// FLUX LastLayer (final_layer.*): adaLN (shift, scale) from the vector, then the output projection.
#pragma once
#include "models/flux/flux_config.h"
#include "nn/modules.h"

namespace fluxgen::flux {

class LastLayer {
 public:
  LastLayer() = default;
  LastLayer(const Weights& w, const FluxConfig& c);
  Tensor forward(const Tensor& x, const Tensor& vec) const;
  void for_each_linear(const nn::LinearVisitor& f) {
    f(linear);
    f(adaLN_modulation_1);
  }

  nn::Linear adaLN_modulation_1;  // adaLN_modulation.1 (index 0 is the SiLU)
  nn::Linear linear;
};

}  // namespace fluxgen::flux
