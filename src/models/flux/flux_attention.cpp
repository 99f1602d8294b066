#include "models/flux/flux_attention.h"

#include "util/error.h"

namespace fluxgen::flux {

Modulation::Modulation(const Weights& w, int64_t hidden, int triples, const nn::StoragePolicy& policy)
    : lin(w.sub("lin"), hidden, 3 * triples * hidden, true, policy), triples_(triples) {}

std::vector<ModulationOut> Modulation::forward(const Tensor& vec) const {
  const Tensor m = lin.forward(ops::silu(vec));  // [B, 3k·hidden]
  const int64_t B = m.dim(0);
  const auto parts = ops::chunk(m.reshape({B, 1, m.dim(1)}), 3 * triples_, -1);
  std::vector<ModulationOut> out;
  for (int i = 0; i < triples_; ++i) out.push_back({parts[3 * i], parts[3 * i + 1], parts[3 * i + 2]});
  return out;
}

Tensor modulated_norm(const Tensor& x, const ModulationOut& m) {
  return ops::modulated_layer_norm(x, m.scale, m.shift, kModulationEps);
}

Tensor gated_residual(const Tensor& x, const ModulationOut& m, const Tensor& y) { return ops::gated_add(x, m.gate, y); }

QKNorm::QKNorm(const Weights& w, int64_t head_dim)
    : query_norm(w.sub("query_norm"), head_dim, 1e-6f, "scale"), key_norm(w.sub("key_norm"), head_dim, 1e-6f, "scale") {}

HeadsQKV split_qkv(const Tensor& qkv, int64_t heads, const QKNorm& norm) {
  const int64_t B = qkv.dim(0), L = qkv.dim(1), D = qkv.dim(2) / (3 * heads);
  check(qkv.dim(2) == 3 * heads * D, "FLUX: qkv width ", qkv.dim(2), " is not 3 x ", heads, " heads");
  // "B L (K H D) -> K B H L D"
  const Tensor t = ops::permute(qkv.reshape({B, L, 3, heads, D}), {2, 0, 3, 1, 4});
  const auto parts = ops::chunk(t, 3, 0);
  HeadsQKV out;
  out.q = norm.query_norm.forward(parts[0].reshape({B, heads, L, D}));
  out.k = norm.key_norm.forward(parts[1].reshape({B, heads, L, D}));
  out.v = parts[2].reshape({B, heads, L, D});
  return out;
}

Tensor rope_attention(const HeadsQKV& x, const RopeTables& pe) {
  const Tensor q = ops::rope(x.q, pe.cos, pe.sin);
  const Tensor k = ops::rope(x.k, pe.cos, pe.sin);
  const Tensor o = ops::attention(q, k, x.v);  // [B, H, L, D]
  const int64_t B = o.dim(0), H = o.dim(1), L = o.dim(2), D = o.dim(3);
  return ops::permute(o, {0, 2, 1, 3}).reshape({B, L, H * D});
}

}  // namespace fluxgen::flux
