#include "pipeline/flux_denoiser.h"

#include "backend/ops.h"
#include "models/flux/latent_packing.h"
#include "models/flux/step_graph.h"
#include "util/error.h"

namespace fluxgen {

Tensor repeat_batch(const Tensor& t, int64_t batch) {
  if (t.dim(0) == batch) return t;
  check(t.dim(0) == 1, "repeat_batch: cannot repeat ", t.describe(), " to ", batch);
  return ops::concat(std::vector<Tensor>(static_cast<size_t>(batch), t), 0);
}

sampling::Denoiser make_flux_denoiser(const FluxDenoiserSetup& s) {
  check(s.model != nullptr, "internal: denoiser without a model");
  // One per conditioning branch (their text lengths may differ), for this pass's steps.
  auto graph = std::make_shared<flux::StepGraph>(*s.model);
  auto uncond_graph = std::make_shared<flux::StepGraph>(*s.model);
  return [s, graph, uncond_graph](const Tensor& x, float sigma) {
    const int64_t B = x.dim(0);
    flux::FluxInputs in;
    in.img = flux::pack_latent(x);
    in.img_ids = flux::image_ids(B, s.latent_height, s.latent_width);
    in.txt = repeat_batch(s.txt, B);
    in.txt_ids = flux::text_ids(B, in.txt.dim(1));
    in.y = repeat_batch(s.y, B);
    in.timesteps.assign(static_cast<size_t>(B), sigma);
    in.guidance.assign(static_cast<size_t>(B), s.guidance);
    Tensor v = flux::unpack_latent(graph->forward(in, s.cache.get()), s.latent_height, s.latent_width);
    if (s.cfg_scale != 1.0f && s.uncond_txt) {
      in.txt = repeat_batch(*s.uncond_txt, B);
      in.txt_ids = flux::text_ids(B, in.txt.dim(1));
      in.y = repeat_batch(*s.uncond_y, B);
      const Tensor vu = flux::unpack_latent(uncond_graph->forward(in, s.uncond_cache.get()), s.latent_height, s.latent_width);
      v = ops::add(vu, ops::scale(ops::sub(v, vu), s.cfg_scale));
    }
    if (s.keep_mask) {
      // D = x − σv, pinned to the init latent where kept: D' = m·init + (1 − m)·D; v' = (x − D')/σ.
      const Tensor d = ops::sub(x, ops::scale(v, sigma));
      const Tensor& m = *s.keep_mask;
      const Tensor d2 = ops::add(ops::mul(m, s.init_latent), ops::mul(ops::affine(m, -1.0f, 1.0f), d));
      v = ops::scale(ops::sub(x, d2), 1.0f / sigma);
    }
    return v;
  };
}

}  // namespace fluxgen
