#include "pipeline/hires_fix.h"

#include "imaging/a1111_resize.h"
#include "imaging/tensor_resize.h"
#include "pipeline/image_upscale.h"
#include "util/error.h"

namespace fluxgen {

HiresSize hires_size(const GenerationSettings& s, int multiple) {
  const int w = static_cast<int>(s.width * s.hires.scale) / multiple * multiple;
  const int h = static_cast<int>(s.height * s.hires.scale) / multiple * multiple;
  return {std::max(w, multiple), std::max(h, multiple)};
}

namespace {
PassSpec hires_pass(const GenerationRequest& request, const HiresInput& in, const HiresSize& size, int64_t f) {
  const GenerationSettings& s = request.settings;
  const HiresRequest& hires = *request.hires;
  PassSpec p;
  p.job = "hires";
  p.sampler = hires.sampler;
  p.scheduler = hires.scheduler;
  p.steps = s.hires.steps > 0 ? s.hires.steps : s.steps;
  p.denoise = s.denoising_strength;
  p.explicit_steps = true;
  p.cond = in.cond;
  p.uncond = in.uncond;
  p.cfg = s.hires.cfg;
  p.guidance = s.hires.distilled_cfg;
  p.seeds = {in.seed};
  p.noise_source = request.noise_source;
  p.step_cache = request.step_cache;
  p.latent_height = size.height / f;
  p.latent_width = size.width / f;
  p.job_no = in.job_no;
  return p;
}
}  // namespace

int hires_step_count(const GenerationRequest& r, int multiple, int64_t f) {
  const GenerationSettings& s = r.settings;
  const HiresSize size = hires_size(s, multiple);
  PassSpec p;
  p.scheduler = r.hires->scheduler;
  p.steps = s.hires.steps > 0 ? s.hires.steps : s.steps;
  p.denoise = s.denoising_strength;
  p.explicit_steps = true;
  p.latent_height = size.height / f;
  p.latent_width = size.width / f;
  p.init_latent = Tensor();
  return pass_step_count(p);
}

StageResult run_hires_fix(const HiresModels& models, const GenerationRequest& request, const HiresInput& in,
                          ProgressTracker& progress) {
  const int64_t f = models.codec.factor();
  const HiresSize size = hires_size(request.settings, static_cast<int>(2 * f));
  const UpscalerChoice& choice = request.hires->upscaler;
  PassSpec pass = hires_pass(request, in, size, f);
  if (choice.kind == UpscalerChoice::Kind::Latent) {
    pass.init_latent = imaging::resize_tensor(in.latent, pass.latent_height, pass.latent_width, choice.latent_mode);
  } else {
    const Image upscaled = imaging::a1111_resize_image(
        in.image, imaging::ResizeMode::JustResize, size.width, size.height,
        [&](const Image& img, double scale) { return upscale_image(choice, models.upscaler, img, scale); });
    pass.init_latent = models.codec.encode(upscaled);
  }
  const PassResult r = run_pass(models.flux, pass, progress);
  StageResult out;
  note_step_cache(r, pass.job, out.notes);
  out.interrupted = r.interrupted;
  out.image = models.codec.decode(r.latent);
  return out;
}

InfotextParams hires_infotext(const GenerationSettings& s) {
  InfotextParams p;
  p.emplace_back("Denoising strength", infotext_number(s.denoising_strength));
  p.emplace_back("Hires upscale", infotext_number(s.hires.scale));
  p.emplace_back("Hires steps", std::to_string(s.hires.steps > 0 ? s.hires.steps : s.steps));
  p.emplace_back("Hires upscaler", s.hires.upscaler);
  if (s.hires.distilled_cfg != s.distilled_cfg_scale)
    p.emplace_back("Hires Distilled CFG Scale", infotext_number(s.hires.distilled_cfg));
  if (s.hires.cfg != s.cfg_scale) p.emplace_back("Hires CFG Scale", infotext_number(s.hires.cfg));
  if (!s.hires.sampler.empty()) p.emplace_back("Hires sampler", s.hires.sampler);
  if (!s.hires.prompt.empty()) p.emplace_back("Hires prompt", s.hires.prompt);
  return p;
}

}  // namespace fluxgen
