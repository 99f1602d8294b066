// What every generation stage shares: the loaded models, the progress tracker, the resolved
// settings, and where notes for the user go. Plus the two conversions every stage needs.
#pragma once
#include <string>
#include <vector>

#include "io/image/image.h"
#include "pipeline/generation_settings.h"
#include "pipeline/model_manager.h"
#include "pipeline/progress.h"
#include "sampling/torch_rng.h"

namespace fluxgen {

struct StageContext {
  ModelManager& models;
  ProgressTracker& progress;
  const GenerationSettings& settings;
  sampling::NoiseSource noise_source;
  std::vector<std::string>& notes;
  flux::StepCacheSettings step_cache;  // every pass starts its own cache state with these
};

// RGB image -> scaled latent [1, 16, h, w] through the autoencoder (tiled when large).
Tensor encode_image(StageContext& ctx, const Image& image);
// latent [1, 16, h, w] -> RGB image.
Image decode_latent(StageContext& ctx, const Tensor& latent);
// The autoencoder's tiling: the default on the CPU; on a device, tiled whenever a whole image
// would not fit in what the VRAM budget has left.
vae::VaeTiling vae_tiling(ModelManager& models);

}  // namespace fluxgen
