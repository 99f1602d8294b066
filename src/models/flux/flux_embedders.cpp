#include "models/flux/flux_embedders.h"

#include <cmath>

#include "tensor/convert.h"
#include "util/error.h"

namespace fluxgen::flux {

Tensor timestep_embedding(const std::vector<float>& t, int64_t dim) {
  const int64_t half = dim / 2;
  Tensor out = Tensor::zeros({static_cast<int64_t>(t.size()), dim});
  std::vector<float> freqs(static_cast<size_t>(half));
  const float neg_log_period = static_cast<float>(-std::log(10000.0));
  for (int64_t i = 0; i < half; ++i)
    freqs[static_cast<size_t>(i)] = std::exp(neg_log_period * static_cast<float>(i) / static_cast<float>(half));
  for (size_t b = 0; b < t.size(); ++b) {
    const float scaled = static_cast<float>(1000.0 * static_cast<double>(t[b]));
    float* row = out.f32() + static_cast<int64_t>(b) * dim;
    for (int64_t i = 0; i < half; ++i) {
      const float arg = scaled * freqs[static_cast<size_t>(i)];
      row[i] = std::cos(arg);
      row[half + i] = std::sin(arg);
    }
  }
  return out;
}

MLPEmbedder::MLPEmbedder(const Weights& w, int64_t in_dim, int64_t hidden)
    : in_layer(w.sub("in_layer"), in_dim, hidden, true), out_layer(w.sub("out_layer"), hidden, hidden, true) {}

Tensor MLPEmbedder::forward(const Tensor& x) const { return out_layer.forward(ops::silu(in_layer.forward(x))); }

RopeTables rope_tables(const Tensor& ids_in, const std::vector<int64_t>& axes_dim, double theta) {
  const Tensor ids = ops::to_host(ids_in);
  check(ids.ndim() == 3 && ids.dim(2) == static_cast<int64_t>(axes_dim.size()), "FLUX position ids must be [B, L, ",
        axes_dim.size(), "], got ", ids_in.describe());
  const int64_t B = ids.dim(0), L = ids.dim(1), n_axes = ids.dim(2);
  int64_t half = 0;
  for (int64_t a : axes_dim) half += a / 2;
  RopeTables r{Tensor::empty({B, L, half}), Tensor::empty({B, L, half})};
  // Frequencies per column, once: the tables are rebuilt every forward for thousands of tokens.
  std::vector<double> omega;
  std::vector<int64_t> axis_of;
  for (int64_t a = 0; a < n_axes; ++a) {
    const int64_t dim = axes_dim[static_cast<size_t>(a)];
    for (int64_t d = 0; d < dim / 2; ++d) {
      omega.push_back(1.0 / std::pow(theta, static_cast<double>(2 * d) / static_cast<double>(dim)));
      axis_of.push_back(a);
    }
  }
  const float* pos = ids.f32();
  float* cos_out = r.cos.f32();
  float* sin_out = r.sin.f32();
#pragma omp parallel for collapse(2) schedule(static) if (B * L * half > 65536)
  for (int64_t t = 0; t < B * L; ++t)
    for (int64_t col = 0; col < half; ++col) {
      const size_t c = static_cast<size_t>(col);
      const double angle = static_cast<double>(pos[t * n_axes + axis_of[c]]) * omega[c];
      cos_out[t * half + col] = static_cast<float>(std::cos(angle));
      sin_out[t * half + col] = static_cast<float>(std::sin(angle));
    }
  return r;
}

}  // namespace fluxgen::flux
