// One sampling pass over FLUX latents, the unit every stage is built from: txt2img (pure noise,
// the full schedule), img2img/inpaint/ADetailer (A1111's plain window from a clean latent) and the
// HiRes.fix second pass (the explicit-steps window). Noise comes from one torch generator per
// image seed, continued for ancestral steps as Forge does.
#pragma once
#include <optional>
#include <string>
#include <vector>

#include "models/flux/flux_model.h"
#include "pipeline/progress.h"
#include "pipeline/text_conditioning.h"
#include "sampling/samplers.h"
#include "sampling/schedules.h"
#include "sampling/torch_rng.h"

namespace fluxgen {

struct PassSpec {
  std::string job = "txt2img";        // progress label
  sampling::Sampler sampler = sampling::Sampler::Euler;
  sampling::Scheduler scheduler = sampling::Scheduler::Simple;
  int steps = 20;
  // Denoising strength for a pass from `init_latent`; ignored for txt2img.
  double denoise = 1.0;
  bool explicit_steps = false;        // HiRes.fix: `steps` are the steps actually run
  const Conditioning* cond = nullptr;
  const Conditioning* uncond = nullptr;  // only used when cfg > 1
  double cfg = 1.0;
  double guidance = 3.5;
  std::vector<int64_t> seeds;         // one per image; the batch size
  sampling::NoiseSource noise_source = sampling::NoiseSource::Cuda;
  int64_t latent_channels = 16, latent_height = 0, latent_width = 0;
  std::optional<Tensor> init_latent;  // [1 or B, C, h, w] clean latent (img2img)
  std::optional<Tensor> keep_mask;    // inpainting: 1 where the original stays, [1, 1, h, w]
  flux::StepCacheSettings step_cache;  // this pass's own cache state starts empty
  int job_no = 0;
};

struct PassResult {
  Tensor latent;
  bool interrupted = false;
  int cached_calls = 0, full_calls = 0;  // transformer calls served by the step cache / computed
};

// The number of model steps the pass will run (for progress totals).
int pass_step_count(const PassSpec& spec);

PassResult run_pass(const flux::FluxModel& model, const PassSpec& spec, ProgressTracker& progress);

// "txt2img: step cache reused 7 of 20 transformer calls" into `notes`, when the pass had a cache.
void note_step_cache(const PassResult& result, const std::string& job, std::vector<std::string>& notes);

}  // namespace fluxgen
