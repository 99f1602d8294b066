// The FLUX transformer's inputs turned into vectors: the sinusoidal timestep/guidance embedding,
// the MLP embedders (time_in, vector_in, guidance_in) and the 3-axis rotary tables (EmbedND).
#pragma once
#include <vector>

#include "nn/modules.h"

namespace fluxgen::flux {

// BFL's timestep_embedding(t, dim, max_period=10000, time_factor=1000): [cos | sin] of
// 1000·t·exp(−ln(10⁴)·i/half), computed in float32 as the reference does. t: [B] -> [B, dim].
Tensor timestep_embedding(const std::vector<float>& t, int64_t dim);

// MLPEmbedder: in_layer -> SiLU -> out_layer.
class MLPEmbedder {
 public:
  MLPEmbedder() = default;
  MLPEmbedder(const Weights& w, int64_t in_dim, int64_t hidden);
  Tensor forward(const Tensor& x) const;
  void for_each_linear(const nn::LinearVisitor& f) {
    f(in_layer);
    f(out_layer);
  }
  nn::Linear in_layer, out_layer;
};

// Rotary tables for positions `ids` [B, L, n_axes]: angle = pos · θ^(−2d/axis_dim) for each axis's
// pairs, concatenated over the axes; computed in double and rounded to float like BFL's rope().
struct RopeTables {
  Tensor cos;  // [B, L, head_dim/2]
  Tensor sin;
};
RopeTables rope_tables(const Tensor& ids, const std::vector<int64_t>& axes_dim, double theta);

}  // namespace fluxgen::flux
