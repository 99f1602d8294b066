#include "sampling/schedules.h"

// The references compute these in float32 (torch) or double (Python floats) one operation at a
// time; so do we, without fusing multiply-adds.
#include "sampling/no_fp_contract.h"

#include <algorithm>
#include <cmath>

#include "sampling/beta_distribution.h"
#include "util/error.h"
#include "util/strings.h"

namespace fluxgen::sampling {
namespace {

constexpr int kMaxSteps = 10000;
constexpr int kTableSize = 10000;  // Forge's pseudo_timestep_range
constexpr int64_t kForgeSeqLen = 4096;
constexpr double kBetaAlpha = 0.6;  // Forge's beta_dist_alpha / beta_dist_beta defaults
constexpr double kBetaBeta = 0.6;

// e^mu / (e^mu + (1/t - 1)) on a float32 tensor, in torch's operation order: `1 / t` is
// reciprocal(t) * 1, the Python float e^mu enters each op rounded to float32, and `e^mu / d` is
// reciprocal(d) * e^mu. t = 0 gives 0 (1/0 = inf).
float time_shift_f32(float e_mu, float t) {
  const float w = (1.0f / t) * 1.0f - 1.0f;
  const float d = w + e_mu;
  return (1.0f / d) * e_mu;
}

void check_steps(int steps) {
  check(steps >= 1 && steps <= kMaxSteps, "schedule: steps must be in [1, ", kMaxSteps, "], got ", steps);
}

std::vector<float> bfl_schedule(int steps, int64_t image_seq_len) {
  check(image_seq_len >= 1, "BFL schedule: image sequence length must be >= 1, got ", image_seq_len);
  const auto e_mu = static_cast<float>(std::exp(flux_mu(image_seq_len)));
  std::vector<float> t = torch_linspace_f32(1.0f, 0.0f, steps + 1);
  for (float& v : t) v = time_shift_f32(e_mu, v);
  return t;
}

std::vector<float> simple_schedule(int steps) {
  const auto& table = forge_flux_sigma_table();
  const double ss = static_cast<double>(kTableSize) / steps;  // Python: len(sigmas) / n
  std::vector<float> sigmas;
  for (int x = 0; x < steps; ++x) {
    const auto k = static_cast<int64_t>(x * ss);  // int() truncates
    sigmas.push_back(table[static_cast<size_t>(kTableSize - 1 - k)]);
  }
  sigmas.push_back(0.0f);
  return sigmas;
}

std::vector<float> beta_schedule(int steps) {
  const auto& table = forge_flux_sigma_table();
  const double sigma_min = table.front(), sigma_max = table.back();
  // 1 - np.linspace(0, 1, n): j * (1 / (n - 1)), the last point exactly 1.
  const double step = steps > 1 ? 1.0 / (steps - 1) : 0.0;
  std::vector<float> sigmas;
  for (int j = 0; j < steps; ++j) {
    const double y = (j == steps - 1 && steps > 1) ? 1.0 : j * step;
    const double x = beta_ppf(1.0 - y, kBetaAlpha, kBetaBeta);
    sigmas.push_back(static_cast<float>(sigma_min + x * (sigma_max - sigma_min)));
  }
  sigmas.push_back(0.0f);
  return sigmas;
}

std::vector<float> normal_schedule(int steps) {
  const auto& table = forge_flux_sigma_table();
  std::vector<float> sigmas = torch_linspace_f32(table.back(), table.front(), steps);
  sigmas.push_back(0.0f);
  return sigmas;
}

}  // namespace

double flux_mu(int64_t image_seq_len) {
  // get_lin_function(x1=256, y1=0.5, x2=4096, y2=1.15), in Python floats.
  const double m = (1.15 - 0.5) / (4096 - 256);
  const double b = 0.5 - m * 256;
  return m * static_cast<double>(image_seq_len) + b;
}

const std::vector<float>& forge_flux_sigma_table() {
  static const std::vector<float> table = [] {
    const auto e_mu = static_cast<float>(std::exp(flux_mu(kForgeSeqLen)));
    std::vector<float> t(kTableSize);
    for (int k = 1; k <= kTableSize; ++k) {
      // torch.arange(1, 10001) / 10000: int64 true division, in float32.
      const float tk = static_cast<float>(k) / static_cast<float>(kTableSize);
      t[static_cast<size_t>(k - 1)] = time_shift_f32(e_mu, tk);
    }
    return t;
  }();
  return table;
}

std::vector<float> torch_linspace_f32(float start, float end, int64_t steps) {
  check(steps >= 1, "linspace: steps must be >= 1, got ", steps);
  if (steps == 1) return {start};
  // aten/src/ATen/native/cpu/RangeFactoriesKernel.cpp: the first half counts up from start, the
  // second half down from end, so both ends are exact. PyTorch's build (GCC, -mfma) fuses each
  // `start + step * i` into one FMA; unfused, 3 of the 30 BFL fixture schedules differ in a bit.
  const float step = (end - start) / static_cast<float>(steps - 1);
  const int64_t halfway = steps / 2;
  std::vector<float> out(static_cast<size_t>(steps));
  for (int64_t i = 0; i < steps; ++i) {
    out[static_cast<size_t>(i)] = i < halfway ? std::fma(step, static_cast<float>(i), start)
                                              : std::fma(-step, static_cast<float>(steps - i - 1), end);
  }
  return out;
}

Scheduler parse_scheduler(std::string_view name) {
  const std::string n = to_lower(trim(name));
  for (Scheduler s : {Scheduler::Simple, Scheduler::Beta, Scheduler::Normal, Scheduler::Bfl})
    if (n == to_lower(scheduler_name(s))) return s;
  fail("unknown scheduler '", name, "': valid names are ", join(scheduler_names(), ", "));
}

std::string scheduler_name(Scheduler s) {
  switch (s) {
    case Scheduler::Simple: return "Simple";
    case Scheduler::Beta: return "Beta";
    case Scheduler::Normal: return "Normal";
    case Scheduler::Bfl: return "BFL";
  }
  fail("scheduler_name: invalid scheduler");
}

std::vector<std::string> scheduler_names() {
  return {scheduler_name(Scheduler::Simple), scheduler_name(Scheduler::Beta), scheduler_name(Scheduler::Normal),
          scheduler_name(Scheduler::Bfl)};
}

std::vector<float> make_schedule(Scheduler s, int steps, int64_t image_seq_len) {
  check_steps(steps);
  switch (s) {
    case Scheduler::Simple: return simple_schedule(steps);
    case Scheduler::Beta: return beta_schedule(steps);
    case Scheduler::Normal: return normal_schedule(steps);
    case Scheduler::Bfl: return bfl_schedule(steps, image_seq_len);
  }
  fail("make_schedule: invalid scheduler");
}

std::vector<float> make_schedule(std::string_view name, int steps, int64_t image_seq_len) {
  return make_schedule(parse_scheduler(name), steps, image_seq_len);
}

Img2ImgSteps img2img_steps(int steps, double denoise, bool explicit_steps) {
  check(steps >= 1 && steps <= kMaxSteps, "img2img: steps must be in [1, ", kMaxSteps, "], got ", steps);
  check(denoise > 0.0 && denoise <= 1.0, "img2img: denoising strength must be in (0, 1], got ", denoise);
  const double strength = std::min(denoise, 0.999);
  if (explicit_steps) {
    const double total = static_cast<double>(steps) / strength;
    check(total <= kMaxSteps, "img2img: ", steps, " steps at denoising strength ", denoise, " need ",
          static_cast<int64_t>(total), " schedule steps (at most ", kMaxSteps, ")");
    return {static_cast<int>(total), steps - 1};
  }
  return {steps, static_cast<int>(strength * steps)};
}

std::vector<float> img2img_window(Scheduler s, int steps, double denoise, bool explicit_steps,
                                  int64_t image_seq_len) {
  const Img2ImgSteps w = img2img_steps(steps, denoise, explicit_steps);
  const std::vector<float> full = make_schedule(s, w.total_steps, image_seq_len);
  return std::vector<float>(full.begin() + (w.total_steps - w.t_enc - 1), full.end());
}

std::vector<float> img2img_window(std::string_view name, int steps, double denoise, bool explicit_steps,
                                  int64_t image_seq_len) {
  return img2img_window(parse_scheduler(name), steps, denoise, explicit_steps, image_seq_len);
}

}  // namespace fluxgen::sampling
