// Attention pieces shared by FLUX's double- and single-stream blocks: the adaLN modulation, the
// QK RMSNorm, and joint attention over concatenated token streams with rotary positions.
#pragma once
#include <vector>

#include "models/flux/flux_embedders.h"
#include "nn/modules.h"

namespace fluxgen::flux {

// One (shift, scale, gate) triple, each [B, 1, hidden].
struct ModulationOut {
  Tensor shift, scale, gate;
};

// Modulation.lin: SiLU(vec) -> Linear(hidden, k·3·hidden), split into k triples (k = 2 for double
// blocks, 1 for single blocks), in BFL's order shift, scale, gate.
class Modulation {
 public:
  Modulation() = default;
  Modulation(const Weights& w, int64_t hidden, int triples, const nn::StoragePolicy& policy);
  std::vector<ModulationOut> forward(const Tensor& vec) const;
  void for_each_linear(const nn::LinearVisitor& f) { f(lin); }
  nn::Linear lin;

 private:
  int triples_ = 1;
};

// The layer norm every FLUX block and the final layer apply before modulating (no affine).
inline constexpr float kModulationEps = 1e-6f;
// (1 + scale) · LayerNorm(x) + shift: one fused kernel on the GPU (ops::modulated_layer_norm).
Tensor modulated_norm(const Tensor& x, const ModulationOut& m);
// x + gate · y (ops::gated_add).
Tensor gated_residual(const Tensor& x, const ModulationOut& m, const Tensor& y);

// QKNorm: RMSNorm (eps 1e-6, learned `scale`) over the head dimension of q and of k.
class QKNorm {
 public:
  QKNorm() = default;
  QKNorm(const Weights& w, int64_t head_dim);
  nn::RMSNorm query_norm, key_norm;
};

// [B, L, 3·H·D] fused qkv -> q, k, v as [B, H, L, D], with q and k normalised.
struct HeadsQKV {
  Tensor q, k, v;
};
HeadsQKV split_qkv(const Tensor& qkv, int64_t heads, const QKNorm& norm);

// Attention over [B, H, L, D] with rotary positions applied to q and k; returns [B, L, H·D].
Tensor rope_attention(const HeadsQKV& x, const RopeTables& pe);

}  // namespace fluxgen::flux
