// The sampling loop: pure functions over a denoiser callback, in k-diffusion's form for
// rectified flow. The model predicts the velocity v = noise - x0 of x_sigma = sigma * noise +
// (1 - sigma) * x0; the samplers work with the denoised estimate D(x, sigma) = x - sigma * v.
// Formulas and sources: docs/sampling.md. Names (case-insensitive, Forge's spellings):
//   "Euler"                                  x <- x + (sigma_next - sigma) v  (BFL's loop)
//   "Euler a" = "[Forge] Flux Realistic"     Euler ancestral for RF (Forge/ComfyUI
//                                            sample_euler_ancestral_RF), eta 1, s_noise 1
//   "[Forge] Flux Realistic (2x Slow)"       DPM++ 2S ancestral for RF (ComfyUI
//                                            sample_dpmpp_2s_ancestral_RF): two model calls per
//                                            step; "(1.25x Slow)" and "(Slow)" are aliases (the
//                                            1.25x variant was never published in readable form)
//   "DPM++ 2M"                               k-diffusion sample_dpmpp_2m on D, as Forge and ComfyUI
//                                            run it for FLUX (log-sigma time, not the RF log-SNR)
// Also k-diffusion's short names: k_euler, k_euler_a, k_dpmpp_2m.
//
// Tensors go through backend ops only, so a sampler runs wherever the latent lives. Scalar
// coefficients are computed in float32 in the reference implementations' order.
#pragma once
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "sampling/torch_rng.h"
#include "tensor/tensor.h"

namespace fluxgen::sampling {

// The model: the velocity v for latent x at noise level sigma (CFG, guidance, conditioning are
// the caller's business). Must return a tensor of x's shape.
using Denoiser = std::function<Tensor(const Tensor& x, float sigma)>;
// Fresh standard-normal noise of a shape, for ancestral re-noising. The caller decides the RNG.
using NoiseFn = std::function<Tensor(const Shape& shape)>;

// What a step reports, after its (first) model call and before the update.
struct SamplerStep {
  int index = 0;  // 0-based
  int total = 0;  // number of steps (sigmas.size() - 1)
  float sigma = 0, sigma_next = 0;
  const Tensor* x = nullptr;         // the latent entering the step
  const Tensor* denoised = nullptr;  // D = x - sigma v: a preview of the final image
};
// Return false to stop: the sampler then returns this step's denoised estimate (as A1111/Forge
// do on interrupt).
using StepCallback = std::function<bool(const SamplerStep&)>;

enum class Sampler { Euler, EulerAncestralRF, DpmPp2SAncestralRF, DpmPp2M };

Sampler parse_sampler(std::string_view name);  // unknown: an error listing the valid names
std::string sampler_name(Sampler s);           // canonical spelling, e.g. "Euler a"
std::vector<std::string> sampler_names();      // every accepted Forge spelling
std::vector<std::string> sampler_aliases(Sampler s);  // k-diffusion's short names for it (k_euler ...)
bool is_ancestral(Sampler s);                  // draws noise each step

struct SamplerInputs {
  Denoiser denoiser;
  // Strictly decreasing, in [0, 1], at least two; only the last may be 0 (a schedule or an
  // img2img window from schedules.h).
  std::vector<float> sigmas;
  // F32 x at sigmas[0] (pure noise for txt2img; flow_noise_latent(...) for img2img).
  Tensor latent;
  // Ancestral noise. Empty: a torch CPU generator seeded with noise_seed, its first draw used for
  // the first step. To reproduce Forge, draw the initial noise from a TorchGenerator and pass
  // noise_from(that generator): Forge continues the per-image generator for ancestral steps.
  NoiseFn noise;
  uint64_t noise_seed = 0;
  float eta = 1.0f;      // ancestral samplers: 0 = deterministic, 1 = full ancestral step
  float s_noise = 1.0f;  // scale of the added noise
  StepCallback on_step;  // optional
};

struct SamplerResult {
  Tensor latent;           // x at the last sigma (or the last denoised estimate when interrupted)
  int steps_done = 0;      // steps whose model call ran
  bool interrupted = false;
};

SamplerResult run_sampler(Sampler s, const SamplerInputs& in);
SamplerResult run_sampler(std::string_view name, const SamplerInputs& in);

// The starting latent for img2img at sigma: sigma * noise + (1 - sigma) * latent (Forge's
// PredictionFlux.noise_scaling).
Tensor flow_noise_latent(const Tensor& latent, const Tensor& noise, float sigma);
// Ancestral noise drawn from a shared generator (its stream continues across calls).
NoiseFn noise_from(std::shared_ptr<TorchGenerator> generator);

}  // namespace fluxgen::sampling
