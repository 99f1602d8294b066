// A generation job's settings parsed once into what they mean: the sampler, scheduler, storage and
// noise source as types, HiRes.fix's upscaler and every ADetailer unit's detector resolved to files,
// the img2img images decoded. The CLI (generate) and the server's request validation both build
// one; the generator and its stages only read it, so no stage parses a name or decodes an image
// again, and a bad name is refused before the job waits in a queue or loads a model.
#pragma once
#include <optional>
#include <string>
#include <vector>

#include "io/image/image.h"
#include "models/flux/step_cache.h"
#include "nn/storage_option.h"
#include "pipeline/adetailer/adetailer_args.h"
#include "pipeline/generation_settings.h"
#include "pipeline/image_upscale.h"
#include "sampling/samplers.h"
#include "sampling/schedules.h"
#include "sampling/torch_rng.h"

namespace fluxgen {

// HiRes.fix's second pass, its own sampler and scheduler or the generation's.
struct HiresRequest {
  sampling::Sampler sampler = sampling::Sampler::Euler;
  sampling::Scheduler scheduler = sampling::Scheduler::Simple;
  UpscalerChoice upscaler;  // resolved by resolve_request_files
};

// One ADetailer unit that runs (not skipped), with its detector file.
struct ADetailerUnitRequest {
  adetailer::ADetailerArgs args;
  sampling::Scheduler scheduler = sampling::Scheduler::Simple;  // ad_scheduler, or the generation's
  std::string detector;  // a path; resolved by resolve_request_files
};

struct GenerationRequest {
  GenerationSettings settings;  // the names as the user spelled them (infotext, API info)
  sampling::Sampler sampler = sampling::Sampler::Euler;
  sampling::Scheduler scheduler = sampling::Scheduler::Simple;
  StorageOption storage;
  sampling::NoiseSource noise_source = sampling::NoiseSource::Cuda;
  flux::StepCacheSettings step_cache;
  std::optional<HiresRequest> hires;        // when HiRes.fix is enabled
  std::vector<ADetailerUnitRequest> adetailer;  // the units that run, in order
  std::optional<Image> init_image, mask;    // img2img / inpainting, decoded
};

// The names of `s` parsed into types (no file is looked at). Throws FieldError naming the field.
GenerationRequest parse_request(GenerationSettings s);
// The files the parsed request names, found under models_dir (or as paths the CLI gave), and its
// images decoded (paths when settings.images_are_paths, else base64). Throws FieldError.
void resolve_request_files(GenerationRequest& request, const std::string& models_dir);
// Both.
GenerationRequest resolve_request(GenerationSettings s, const std::string& models_dir);

// The upscaler and detector files the request's passes load, for the VRAM plan.
std::vector<std::string> auxiliary_model_files(const GenerationRequest& request);

}  // namespace fluxgen
