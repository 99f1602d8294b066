// What every generation stage shares: the loaded models, the progress tracker, the parsed request,
// and where notes for the user go. Plus the two conversions every stage needs.
#pragma once
#include <string>
#include <vector>

#include "io/image/image.h"
#include "pipeline/generation_request.h"
#include "pipeline/model_manager.h"
#include "pipeline/progress.h"
#include "sampling/torch_rng.h"

namespace fluxgen {

struct StageContext {
  ModelManager& models;
  ProgressTracker& progress;
  const GenerationRequest& request;  // every pass starts its own step-cache state from request.step_cache
  std::vector<std::string>& notes;
  const GenerationSettings& settings() const { return request.settings; }
};

// RGB image -> scaled latent [1, 16, h, w] through the autoencoder (tiled when large).
Tensor encode_image(StageContext& ctx, const Image& image);
// latent [1, 16, h, w] -> RGB image.
Image decode_latent(StageContext& ctx, const Tensor& latent);
// The autoencoder's tiling: the default on the CPU; on a device, tiled whenever a whole image
// would not fit in what the VRAM budget has left.
vae::VaeTiling vae_tiling(ModelManager& models);

}  // namespace fluxgen
