#include "pipeline/step_timing.h"

namespace fluxgen {

void StepTiming::on_update(const ProgressSnapshot& s) {
  if (s.sampling_step <= 0) return;
  const auto now = std::chrono::steady_clock::now();
  const std::string pass = s.job + "#" + std::to_string(s.job_no);
  if (steps_ == 0) first_step_after_ = std::chrono::duration<double>(now - start_).count();
  if (pass == pass_ && s.sampling_step == last_step_ + 1) {
    timed_seconds_ += std::chrono::duration<double>(now - last_).count();
    ++timed_steps_;
  }
  pass_ = pass;
  last_step_ = s.sampling_step;
  last_ = now;
  ++steps_;
}

double StepTiming::elapsed() const {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
}

}  // namespace fluxgen
