#include "models/flux/step_cache.h"

#include <cmath>

#include "backend/ops.h"
#include "util/error.h"
#include "util/strings.h"

namespace fluxgen::flux {

namespace {

// mean|a − b| / mean|b| over the whole batch, computed on the host.
double relative_l1(const Tensor& a, const Tensor& b) {
  const Tensor ha = ops::to_host(a), hb = ops::to_host(b);
  const float* pa = ha.f32();
  const float* pb = hb.f32();
  double diff = 0.0, ref = 0.0;
  for (int64_t i = 0; i < ha.numel(); ++i) {
    diff += std::fabs(double(pa[i]) - double(pb[i]));
    ref += std::fabs(double(pb[i]));
  }
  return ref > 0.0 ? diff / ref : (diff > 0.0 ? INFINITY : 0.0);
}

// TeaCache4FLUX's rescaling of the modulated-input change to the output change, a polynomial
// fitted on FLUX.1-dev (coefficients of the published method, highest power first).
double teacache_rescale(double x) {
  const double c[5] = {4.98651651e+02, -2.83781631e+02, 5.58554382e+01, -3.82021401e+00, 2.64230861e-01};
  double y = 0.0;
  for (double k : c) y = y * x + k;
  return y;
}

}  // namespace

StepCacheMode parse_step_cache_mode(std::string_view name) {
  const std::string n = to_lower(std::string(name));
  if (n == "off" || n == "none" || n.empty()) return StepCacheMode::Off;
  if (n == "fbcache" || n == "first-block" || n == "first_block") return StepCacheMode::FirstBlock;
  if (n == "teacache") return StepCacheMode::TeaCache;
  fail("step cache '", std::string(name), "' is not one of off, fbcache, teacache");
}

const char* step_cache_mode_name(StepCacheMode mode) {
  switch (mode) {
    case StepCacheMode::Off: return "off";
    case StepCacheMode::FirstBlock: return "fbcache";
    case StepCacheMode::TeaCache: return "teacache";
  }
  return "off";
}

double default_cache_threshold(StepCacheMode mode) {
  switch (mode) {
    case StepCacheMode::Off: return 0.0;
    case StepCacheMode::FirstBlock: return 0.12;
    case StepCacheMode::TeaCache: return 0.4;
  }
  return 0.0;
}

StepCache::StepCache(StepCacheSettings settings, std::vector<float> sigmas)
    : settings_(settings), sigmas_(std::move(sigmas)) {
  check(settings_.threshold >= 0.0 && std::isfinite(settings_.threshold), "step cache threshold must be >= 0, got ",
        settings_.threshold);
}

bool StepCache::exact_step(float sigma) const {
  if (sigmas_.size() < 2) return true;
  return sigma == sigmas_.front() || sigma == sigmas_[sigmas_.size() - 2];
}

bool StepCache::reuse(const Tensor& probe, float sigma) {
  bool hit = false;
  const bool comparable = previous_probe_.defined() && previous_probe_.shape() == probe.shape() &&
                          residual_.defined() && !exact_step(sigma);
  if (settings_.mode == StepCacheMode::FirstBlock) {
    hit = comparable && relative_l1(probe, previous_probe_) < settings_.threshold;
    if (!hit) previous_probe_ = probe;  // FBCache compares with the last fully computed step
  } else if (settings_.mode == StepCacheMode::TeaCache) {
    if (comparable) {
      accumulated_ += teacache_rescale(relative_l1(probe, previous_probe_));
      hit = accumulated_ < settings_.threshold;
    }
    if (!hit) accumulated_ = 0.0;
    previous_probe_ = probe;  // TeaCache compares consecutive calls
  }
  if (hit) ++cached_;
  else ++full_;
  return hit;
}

}  // namespace fluxgen::flux
