// The sampler's model call for FLUX: latent -> packed tokens -> transformer (with distilled
// guidance, and a second, unconditional pass when CFG > 1) -> velocity. For inpainting, the
// denoised estimate is pinned to the original latent where the mask keeps it, every step (A1111's
// CFGDenoiser masking), expressed back as a velocity. On a GPU the transformer's steps replay a
// captured graph (models/flux/step_graph.h) where they can.
#pragma once
#include <memory>
#include <optional>

#include "models/flux/flux_model.h"
#include "sampling/samplers.h"

namespace fluxgen {

struct FluxDenoiserSetup {
  const flux::FluxModel* model = nullptr;
  Tensor txt, y;                      // [B, T, D], [B, vec]
  std::optional<Tensor> uncond_txt;   // CFG > 1 only
  std::optional<Tensor> uncond_y;
  float cfg_scale = 1.0f;
  float guidance = 3.5f;              // distilled CFG scale
  int64_t latent_height = 0, latent_width = 0;
  // Inpainting: 1 where the original latent is kept, [B or 1, 1, h, w]; with the clean init latent.
  std::optional<Tensor> keep_mask;
  Tensor init_latent;
  // Step caches of this pass (null: none), one per conditioning branch: each sees its own inputs.
  std::shared_ptr<flux::StepCache> cache, uncond_cache;
};

sampling::Denoiser make_flux_denoiser(const FluxDenoiserSetup& setup);

// A batch of B rows from one row ([1, ...] -> [B, ...]).
Tensor repeat_batch(const Tensor& t, int64_t batch);

}  // namespace fluxgen
