#include "sampling/samplers.h"

#include <cmath>
#include <optional>

#include "backend/ops.h"
#include "util/error.h"
#include "util/strings.h"

namespace fluxgen::sampling {
namespace {

using ops::add;
using ops::scale;
using ops::sub;

struct NameEntry {
  const char* name;
  Sampler sampler;
};
// Forge's labels first (sampler_names lists these), then k-diffusion's aliases.
constexpr NameEntry kNames[] = {
    {"Euler", Sampler::Euler},
    {"Euler a", Sampler::EulerAncestralRF},
    {"[Forge] Flux Realistic", Sampler::EulerAncestralRF},
    {"[Forge] Flux Realistic (2x Slow)", Sampler::DpmPp2SAncestralRF},
    {"[Forge] Flux Realistic (1.25x Slow)", Sampler::DpmPp2SAncestralRF},
    {"[Forge] Flux Realistic (Slow)", Sampler::DpmPp2SAncestralRF},
    {"DPM++ 2M", Sampler::DpmPp2M},
};
constexpr NameEntry kAliases[] = {
    {"k_euler", Sampler::Euler},         {"k_euler_a", Sampler::EulerAncestralRF},
    {"k_euler_ancestral", Sampler::EulerAncestralRF}, {"euler_a", Sampler::EulerAncestralRF},
    {"k_dpmpp_2m", Sampler::DpmPp2M},    {"dpmpp_2m", Sampler::DpmPp2M},
};

// a * x + b * y
Tensor combine(const Tensor& x, float a, const Tensor& y, float b) { return add(scale(x, a), scale(y, b)); }

// The state one sampler run carries: the inputs, the model and noise wrappers with their checks,
// and the progress callback.
class Run {
 public:
  explicit Run(const SamplerInputs& in) : in_(in) {}

  int steps() const { return static_cast<int>(in_.sigmas.size()) - 1; }
  float sigma(int i) const { return in_.sigmas[static_cast<size_t>(i)]; }

  // The model's velocity at (x, sigma), checked, and D = x - sigma v.
  Tensor velocity(const Tensor& x, float s) const {
    Tensor v = in_.denoiser(x, s);
    check(v.defined() && v.shape() == x.shape() && v.dtype() == DType::F32, "sampler: the denoiser returned ",
          v.defined() ? v.describe() : "no tensor", " for a latent ", x.describe());
    return v;
  }
  static Tensor denoised(const Tensor& x, const Tensor& v, float s) { return sub(x, scale(v, s)); }

  Tensor noise(const Shape& shape) {
    if (!in_.noise && !default_generator_) default_generator_.emplace(in_.noise_seed);
    Tensor n = in_.noise ? in_.noise(shape) : Tensor::from_vector(shape, default_generator_->randn(shape_numel(shape)));
    check(n.defined() && n.shape() == shape && n.dtype() == DType::F32, "sampler: the noise source returned ",
          n.defined() ? n.describe() : "no tensor", ", expected F32", shape_string(shape));
    return n;
  }

  // Reports step i; false when the caller asked to stop.
  bool report(int i, const Tensor& x, const Tensor& d) const {
    if (!in_.on_step) return true;
    SamplerStep step;
    step.index = i;
    step.total = steps();
    step.sigma = sigma(i);
    step.sigma_next = sigma(i + 1);
    step.x = &x;
    step.denoised = &d;
    return in_.on_step(step);
  }

  const SamplerInputs& in() const { return in_; }

 private:
  const SamplerInputs& in_;
  std::optional<TorchCpuGenerator> default_generator_;
};

// The ancestral step of Forge/ComfyUI's RF samplers: step down to sigma_down deterministically,
// then re-noise to sigma_next with the RF-consistent scaling.
struct AncestralStep {
  float sigma_down;
  float alpha_ratio;  // alpha_{i+1} / alpha_down, alpha = 1 - sigma
  float renoise;      // sqrt(sigma_{i+1}^2 - sigma_down^2 alpha_{i+1}^2 / alpha_down^2)
};
AncestralStep ancestral_step(float sigma, float sigma_next, float eta) {
  const float downstep_ratio = 1.0f + (sigma_next / sigma - 1.0f) * eta;
  const float sigma_down = sigma_next * downstep_ratio;
  const float alpha_next = 1.0f - sigma_next;
  const float alpha_down = 1.0f - sigma_down;
  const float under = sigma_next * sigma_next - sigma_down * sigma_down * alpha_next * alpha_next / (alpha_down * alpha_down);
  return {sigma_down, alpha_next / alpha_down, std::sqrt(std::max(under, 0.0f))};
}

// x <- (alpha_{i+1}/alpha_down) x + s_noise * renoise * noise
Tensor renoise(Run& run, const Tensor& x, const AncestralStep& a) {
  const Tensor n = run.noise(x.shape());
  return combine(x, a.alpha_ratio, n, run.in().s_noise * a.renoise);
}

SamplerResult sample_euler(Run& run, Tensor x) {
  for (int i = 0; i < run.steps(); ++i) {
    const float s = run.sigma(i), s_next = run.sigma(i + 1);
    const Tensor v = run.velocity(x, s);
    if (run.in().on_step) {
      const Tensor d = Run::denoised(x, v, s);
      if (!run.report(i, x, d)) return {d, i + 1, true};
    }
    x = add(x, scale(v, s_next - s));
  }
  return {x, run.steps(), false};
}

SamplerResult sample_euler_ancestral_rf(Run& run, Tensor x) {
  const float eta = run.in().eta;
  for (int i = 0; i < run.steps(); ++i) {
    const float s = run.sigma(i), s_next = run.sigma(i + 1);
    const Tensor d = Run::denoised(x, run.velocity(x, s), s);
    if (!run.report(i, x, d)) return {d, i + 1, true};
    if (s_next == 0.0f) {
      x = d;
      continue;
    }
    const AncestralStep a = ancestral_step(s, s_next, eta);
    const float ratio = a.sigma_down / s;
    x = combine(x, ratio, d, 1.0f - ratio);
    if (eta > 0.0f) x = renoise(run, x, a);
  }
  return {x, run.steps(), false};
}

// lambda(sigma) = log((1 - sigma) / sigma), its inverse sigma(lambda) = 1 / (e^lambda + 1).
float rf_lambda(float sigma) { return std::log((1.0f - sigma) / sigma); }
float rf_sigma(float lambda) { return 1.0f / (std::exp(lambda) + 1.0f); }

SamplerResult sample_dpmpp_2s_ancestral_rf(Run& run, Tensor x) {
  const float eta = run.in().eta;
  for (int i = 0; i < run.steps(); ++i) {
    const float s = run.sigma(i), s_next = run.sigma(i + 1);
    const Tensor d = Run::denoised(x, run.velocity(x, s), s);
    if (!run.report(i, x, d)) return {d, i + 1, true};
    const AncestralStep a = ancestral_step(s, s_next, eta);
    if (s_next == 0.0f) {
      // Euler to sigma_down = 0: x + (x - D) / sigma * (0 - sigma) = D.
      x = d;
      continue;
    }
    // Midpoint in lambda between sigma and sigma_down; at sigma = 1 lambda is -inf, and the
    // reference uses 0.9999 instead.
    float s_mid;
    if (s == 1.0f) {
      s_mid = 0.9999f;
    } else {
      const float l = rf_lambda(s), l_down = rf_lambda(a.sigma_down);
      s_mid = rf_sigma(l + 0.5f * (l_down - l));
    }
    const float mid_ratio = s_mid / s;
    const Tensor u = combine(x, mid_ratio, d, 1.0f - mid_ratio);
    const Tensor d_mid = Run::denoised(u, run.velocity(u, s_mid), s_mid);
    const float ratio = a.sigma_down / s;
    x = combine(x, ratio, d_mid, 1.0f - ratio);
    if (eta > 0.0f) x = renoise(run, x, a);
  }
  return {x, run.steps(), false};
}

SamplerResult sample_dpmpp_2m(Run& run, Tensor x) {
  // k-diffusion's time t = -log sigma, sigma = e^-t.
  auto t_of = [](float sigma) { return -std::log(sigma); };
  auto sigma_of = [](float t) { return std::exp(-t); };
  Tensor old_d;
  for (int i = 0; i < run.steps(); ++i) {
    const float s = run.sigma(i), s_next = run.sigma(i + 1);
    const Tensor d = Run::denoised(x, run.velocity(x, s), s);
    if (!run.report(i, x, d)) return {d, i + 1, true};
    const float t = t_of(s), t_next = t_of(s_next);  // t_next = inf at sigma 0
    const float h = t_next - t;
    const float x_coef = sigma_of(t_next) / sigma_of(t);
    const float d_coef = -std::expm1(-h);
    if (!old_d.defined() || s_next == 0.0f) {
      x = combine(x, x_coef, d, d_coef);
    } else {
      // Second order: extrapolate D linearly in t from the previous step.
      const float h_last = t - t_of(run.sigma(i - 1));
      const float r = h_last / h;
      const float k = 1.0f / (2.0f * r);
      x = add(scale(x, x_coef), scale(combine(d, 1.0f + k, old_d, -k), d_coef));
    }
    old_d = d;
  }
  return {x, run.steps(), false};
}

void check_inputs(const SamplerInputs& in) {
  check(static_cast<bool>(in.denoiser), "sampler: no denoiser given");
  check(in.latent.defined() && in.latent.dtype() == DType::F32, "sampler: the latent must be an F32 tensor, got ",
        in.latent.defined() ? in.latent.describe() : "none");
  const auto& s = in.sigmas;
  check(s.size() >= 2, "sampler: need at least 2 sigmas (one step), got ", s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    check(std::isfinite(s[i]) && s[i] >= 0.0f && s[i] <= 1.0f, "sampler: sigma[", i, "] = ", s[i],
          " is outside [0, 1]");
    check(i + 1 == s.size() || s[i] > 0.0f, "sampler: sigma[", i, "] is 0 before the last step");
    check(i == 0 || s[i] < s[i - 1], "sampler: sigmas must decrease strictly (sigma[", i, "] = ", s[i],
          " after ", s[i - 1], ")");
  }
  check(std::isfinite(in.eta) && in.eta >= 0.0f && in.eta <= 1.0f, "sampler: eta must be in [0, 1], got ", in.eta);
  check(std::isfinite(in.s_noise) && in.s_noise >= 0.0f, "sampler: s_noise must be >= 0, got ", in.s_noise);
}

}  // namespace

Sampler parse_sampler(std::string_view name) {
  const std::string n = to_lower(trim(name));
  for (const auto& e : kNames)
    if (n == to_lower(e.name)) return e.sampler;
  for (const auto& e : kAliases)
    if (n == e.name) return e.sampler;
  fail("unknown sampler '", name, "': valid names are ", join(sampler_names(), ", "));
}

std::string sampler_name(Sampler s) {
  switch (s) {
    case Sampler::Euler: return "Euler";
    case Sampler::EulerAncestralRF: return "Euler a";
    case Sampler::DpmPp2SAncestralRF: return "[Forge] Flux Realistic (2x Slow)";
    case Sampler::DpmPp2M: return "DPM++ 2M";
  }
  fail("sampler_name: invalid sampler");
}

std::vector<std::string> sampler_names() {
  std::vector<std::string> out;
  for (const auto& e : kNames) out.emplace_back(e.name);
  return out;
}

std::vector<std::string> sampler_aliases(Sampler s) {
  std::vector<std::string> out;
  for (const auto& e : kAliases)
    if (e.sampler == s) out.emplace_back(e.name);
  return out;
}

bool is_ancestral(Sampler s) { return s == Sampler::EulerAncestralRF || s == Sampler::DpmPp2SAncestralRF; }

SamplerResult run_sampler(Sampler s, const SamplerInputs& in) {
  check_inputs(in);
  Run run(in);
  switch (s) {
    case Sampler::Euler: return sample_euler(run, in.latent);
    case Sampler::EulerAncestralRF: return sample_euler_ancestral_rf(run, in.latent);
    case Sampler::DpmPp2SAncestralRF: return sample_dpmpp_2s_ancestral_rf(run, in.latent);
    case Sampler::DpmPp2M: return sample_dpmpp_2m(run, in.latent);
  }
  fail("run_sampler: invalid sampler");
}

SamplerResult run_sampler(std::string_view name, const SamplerInputs& in) { return run_sampler(parse_sampler(name), in); }

Tensor flow_noise_latent(const Tensor& latent, const Tensor& noise, float sigma) {
  check(latent.shape() == noise.shape(), "flow_noise_latent: latent ", latent.describe(), " and noise ",
        noise.describe(), " differ in shape");
  check(std::isfinite(sigma) && sigma >= 0.0f && sigma <= 1.0f, "flow_noise_latent: sigma ", sigma,
        " is outside [0, 1]");
  return combine(noise, sigma, latent, 1.0f - sigma);
}

NoiseFn noise_from(std::shared_ptr<TorchGenerator> generator) {
  check(generator != nullptr, "noise_from: no generator");
  return [generator](const Shape& shape) { return generator->randn(shape); };
}

}  // namespace fluxgen::sampling
