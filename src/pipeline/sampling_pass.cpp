#include "pipeline/sampling_pass.h"

#include "backend/ops.h"
#include "pipeline/flux_denoiser.h"
#include "sampling/samplers.h"
#include "sampling/schedules.h"
#include "util/error.h"

namespace fluxgen {

namespace {
std::vector<float> pass_sigmas(const PassSpec& s) {
  const int64_t seq_len = (s.latent_height / 2) * (s.latent_width / 2);
  if (!s.init_latent) return sampling::make_schedule(s.scheduler, s.steps, seq_len);
  return sampling::img2img_window(s.scheduler, s.steps, s.denoise, s.explicit_steps, seq_len);
}
}  // namespace

int pass_step_count(const PassSpec& spec) { return static_cast<int>(pass_sigmas(spec).size()) - 1; }

PassResult run_pass(const flux::FluxModel& model, const PassSpec& s, ProgressTracker& progress) {
  check(s.cond != nullptr && !s.seeds.empty(), "internal: sampling pass without conditioning or seeds");
  const int64_t B = static_cast<int64_t>(s.seeds.size());
  const std::vector<float> sigmas = pass_sigmas(s);

  std::vector<std::shared_ptr<sampling::TorchGenerator>> rngs;
  std::vector<Tensor> noises;
  for (int64_t seed : s.seeds) {
    rngs.push_back(std::make_shared<sampling::TorchGenerator>(s.noise_source, static_cast<uint64_t>(seed)));
    noises.push_back(rngs.back()->randn(Shape{1, s.latent_channels, s.latent_height, s.latent_width}));
  }
  // The pass runs where its conditioning lives (ModelManager::to_model_device put it there): the
  // noise is drawn on the host as today's numbers and moved once.
  const Device device = s.cond->txt.device();
  const Tensor noise = ops::to_device(ops::concat(noises, 0), device);
  const std::optional<Tensor> init_latent =
      s.init_latent ? std::optional<Tensor>(ops::to_device(*s.init_latent, device)) : std::nullopt;

  FluxDenoiserSetup setup;
  setup.model = &model;
  setup.txt = s.cond->txt;
  setup.y = s.cond->y;
  if (s.cfg > 1.0 && s.uncond) {
    setup.uncond_txt = s.uncond->txt;
    setup.uncond_y = s.uncond->y;
  }
  setup.cfg_scale = static_cast<float>(s.cfg);
  setup.guidance = static_cast<float>(s.guidance);
  setup.latent_height = s.latent_height;
  setup.latent_width = s.latent_width;
  if (s.keep_mask) {
    check(s.init_latent.has_value(), "internal: an inpainting mask needs an init latent");
    setup.keep_mask = ops::to_device(*s.keep_mask, device);
    setup.init_latent = repeat_batch(*init_latent, B);
  }

  if (s.step_cache.mode != flux::StepCacheMode::Off) {
    setup.cache = std::make_shared<flux::StepCache>(s.step_cache, sigmas);
    if (setup.uncond_txt) setup.uncond_cache = std::make_shared<flux::StepCache>(s.step_cache, sigmas);
  }

  sampling::SamplerInputs in;
  in.denoiser = make_flux_denoiser(setup);
  in.sigmas = sigmas;
  in.latent = init_latent ? sampling::flow_noise_latent(repeat_batch(*init_latent, B), noise, sigmas.front()) : noise;
  in.noise = [rngs, device](const Shape& shape) {
    std::vector<Tensor> parts;
    Shape one = shape;
    one[0] = 1;
    for (const auto& g : rngs) parts.push_back(g->randn(one));
    return ops::to_device(ops::concat(parts, 0), device);
  };
  progress.begin_pass(s.job, s.job_no, static_cast<int>(sigmas.size()) - 1);
  bool stopped = false;
  in.on_step = [&](const sampling::SamplerStep& st) {
    progress.step(st.index + 1, st.denoised);
    const bool go_on = !progress.interrupted() && !progress.take_skip();
    stopped = stopped || !go_on;
    return go_on;
  };
  const sampling::SamplerResult r = sampling::run_sampler(s.sampler, in);
  PassResult result{r.latent, stopped || r.interrupted};
  for (const auto& cache : {setup.cache, setup.uncond_cache}) {
    if (!cache) continue;
    result.cached_calls += cache->cached_calls();
    result.full_calls += cache->full_calls();
  }
  return result;
}

void note_step_cache(const PassResult& r, const std::string& job, std::vector<std::string>& notes) {
  if (r.cached_calls + r.full_calls == 0) return;
  notes.push_back(job + ": step cache reused " + std::to_string(r.cached_calls) + " of " +
                  std::to_string(r.cached_calls + r.full_calls) + " transformer calls");
}

}  // namespace fluxgen
