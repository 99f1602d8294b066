#include "models/flux/last_layer.h"

#include "models/flux/flux_attention.h"

namespace fluxgen::flux {

LastLayer::LastLayer(const Weights& w, const FluxConfig& c)
    : adaLN_modulation_1(w.sub("adaLN_modulation").sub("1"), c.hidden_size, 2 * c.hidden_size, true),
      linear(w.sub("linear"), c.hidden_size, c.out_channels, true) {}

Tensor LastLayer::forward(const Tensor& x, const Tensor& vec) const {
  const Tensor m = adaLN_modulation_1.forward(ops::silu(vec));
  const int64_t B = m.dim(0), H = m.dim(1) / 2;
  const auto parts = ops::chunk(m.reshape({B, 1, 2 * H}), 2, -1);  // shift, scale
  return linear.forward(ops::modulated_layer_norm(x, parts[1], parts[0], kModulationEps));
}

}  // namespace fluxgen::flux
