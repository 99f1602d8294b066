// Step caching for the FLUX transformer: consecutive denoising steps change the model's output
// little in the middle of a schedule, so some steps reuse the residual the blocks added last time
// instead of running them. Two published rules decide when:
//  - First-Block Cache (ParaAttention's FBCache): run the first double block; when its residual
//    (image stream) differs from the one of the last fully computed step by less than the threshold
//    (relative L1: mean|r − r_prev| / mean|r_prev|), add the cached residual of the remaining blocks.
//  - TeaCache (Liu et al. 2024, TeaCache4FLUX): the relative L1 change of the first block's
//    modulated image input, rescaled by the paper's polynomial fitted for FLUX, is accumulated over
//    steps; while the sum stays under the threshold the whole stack is replaced by the cached residual.
// The first and last steps of a schedule are always computed, threshold 0 never reuses (so the
// output is bit for bit the uncached one), and every sampling pass and every conditioning branch
// (CFG's unconditional pass) has its own state.
#pragma once
#include <string>
#include <string_view>
#include <vector>

#include "tensor/tensor.h"

namespace fluxgen::flux {

enum class StepCacheMode { Off, FirstBlock, TeaCache };

struct StepCacheSettings {
  StepCacheMode mode = StepCacheMode::Off;
  double threshold = 0.0;
};

// "off", "fbcache" (also "first-block"), "teacache"; throws naming the accepted values.
StepCacheMode parse_step_cache_mode(std::string_view name);
const char* step_cache_mode_name(StepCacheMode mode);  // "off", "fbcache", "teacache"
// The threshold a mode uses when none is given (chosen from bench/RESULTS.md's step cache table).
double default_cache_threshold(StepCacheMode mode);

class StepCache {
 public:
  // `sigmas`: the pass's schedule (its first and last steps are computed exactly).
  StepCache(StepCacheSettings settings, std::vector<float> sigmas);

  StepCacheMode mode() const { return settings_.mode; }
  // The model asks before the remaining blocks: `probe` is the first block's residual (FBCache) or
  // the modulated input (TeaCache) of this call at noise level `sigma`. True: reuse residual().
  bool reuse(const Tensor& probe, float sigma);
  const Tensor& residual() const { return residual_; }
  // After a full computation: the residual the skipped blocks would add.
  void store(Tensor residual) { residual_ = std::move(residual); }

  // Counters for tests and logs: model calls computed fully / served from the cache, blocks run.
  int full_calls() const { return full_; }
  int cached_calls() const { return cached_; }
  int64_t blocks_run() const { return blocks_run_; }
  void count_blocks(int64_t n) { blocks_run_ += n; }

 private:
  bool exact_step(float sigma) const;
  StepCacheSettings settings_;
  std::vector<float> sigmas_;
  Tensor previous_probe_;  // FBCache: of the last full call; TeaCache: of the last call
  Tensor residual_;
  double accumulated_ = 0.0;
  int full_ = 0, cached_ = 0;
  int64_t blocks_run_ = 0;
};

}  // namespace fluxgen::flux
