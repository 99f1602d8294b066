// HiRes.fix as Forge runs it (modules/processing.py StableDiffusionProcessingTxt2Img.sample_hr_pass):
// the first pass's image upscaled to width·hr_scale × height·hr_scale with the named upscaler
// (an ESRGAN file by name, Lanczos, Nearest — or a "Latent" mode resizing the latent itself),
// encoded, re-noised with fresh noise from the image's seed, and denoised for exactly
// hr_second_pass_steps steps over Forge's explicit-steps window.
#pragma once
#include <optional>

#include "pipeline/infotext.h"
#include "models/upscaler.h"
#include "pipeline/generation_request.h"
#include "pipeline/latent_codec.h"
#include "pipeline/progress.h"
#include "pipeline/sampling_pass.h"
#include "pipeline/stage_result.h"

namespace fluxgen {

struct HiresSize {
  int width, height;
};
// int(size·scale) rounded down to a multiple of `multiple` (FLUX: 2 × the autoencoder's factor).
HiresSize hires_size(const GenerationSettings& s, int multiple);

struct HiresInput {
  Tensor latent;  // the first pass's latent [1, 16, h, w]
  Image image;    // and its decoded image
  int64_t seed;
  const Conditioning* cond;
  const Conditioning* uncond;
  int job_no;
};

// What the pass runs on. `upscaler` is the request's upscaler file, loaded; null for Latent,
// Lanczos and Nearest.
struct HiresModels {
  const flux::FluxModel& flux;
  const LatentCodec& codec;
  const Upscaler* upscaler;
};

// The upscaled, re-denoised image of `in`, as `request.hires` asks.
StageResult run_hires_fix(const HiresModels& models, const GenerationRequest& request, const HiresInput& in,
                          ProgressTracker& progress);
int hires_step_count(const GenerationRequest& request, int multiple, int64_t latent_factor);
InfotextParams hires_infotext(const GenerationSettings& s);

}  // namespace fluxgen
