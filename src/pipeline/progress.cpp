#include "pipeline/progress.h"

#include "backend/ops.h"

#include <cstdio>

namespace fluxgen {

void ProgressTracker::begin(int total_units, int job_count) {
  std::lock_guard<std::mutex> lock(mu_);
  s_ = ProgressSnapshot{};
  s_.active = true;
  s_.job_count = job_count;
  total_units_ = std::max(total_units, 1);
  done_units_ = 0;
  start_ = std::chrono::steady_clock::now();
}

void ProgressTracker::add_units(int units) {
  std::lock_guard<std::mutex> lock(mu_);
  total_units_ += units;
}

void ProgressTracker::begin_pass(const std::string& job, int job_no, int steps) {
  std::lock_guard<std::mutex> lock(mu_);
  s_.job = job;
  s_.job_no = job_no;
  s_.sampling_step = 0;
  s_.sampling_steps = steps;
  s_.steps_per_second = 0.0;
  pass_start_ = std::chrono::steady_clock::now();
}

void ProgressTracker::step(int step, const Tensor* denoised) {
  ProgressSnapshot copy;
  {
    std::lock_guard<std::mutex> lock(mu_);
    s_.sampling_step = step;
    ++done_units_;
    const auto now = std::chrono::steady_clock::now();
    s_.elapsed = std::chrono::duration<double>(now - start_).count();
    const double pass = std::chrono::duration<double>(now - pass_start_).count();
    s_.steps_per_second = pass > 0 ? step / pass : 0.0;
    s_.progress = std::min(1.0, static_cast<double>(done_units_) / total_units_);
    s_.eta_relative = s_.progress > 0 ? s_.elapsed / s_.progress - s_.elapsed : 0.0;
    if (denoised && preview_every > 0 && (step % preview_every == 0 || step == s_.sampling_steps)) {
      // Previews are drawn on the host: a device latent comes back only on the steps previewed.
      s_.preview_latent = denoised->device() == Device::CPU ? denoised->clone() : ops::to_host(*denoised);
      s_.preview_step = done_units_;
    }
    copy = s_;
  }
  if (on_update) on_update(copy);
}

void ProgressTracker::end() {
  std::lock_guard<std::mutex> lock(mu_);
  s_.active = false;
  s_.progress = 1.0;
  s_.eta_relative = 0.0;
}

ProgressSnapshot ProgressTracker::snapshot() const {
  std::lock_guard<std::mutex> lock(mu_);
  return s_;
}

std::function<void(const ProgressSnapshot&)> terminal_progress_bar() {
  return [](const ProgressSnapshot& s) {
    const int width = 24;
    const int filled = s.sampling_steps > 0 ? width * s.sampling_step / s.sampling_steps : 0;
    std::string bar(static_cast<size_t>(filled), '#');
    bar.append(static_cast<size_t>(width - filled), '.');
    const int eta = static_cast<int>(s.eta_relative + 0.5);
    std::fprintf(stderr, "\r%-9s %d/%d [%s] %d/%d %6.2f it/s ETA %02d:%02d ", s.job.c_str(), s.job_no + 1, s.job_count,
                 bar.c_str(), s.sampling_step, s.sampling_steps, s.steps_per_second, eta / 60, eta % 60);
    if (s.sampling_step == s.sampling_steps) std::fputc('\n', stderr);
    std::fflush(stderr);
  };
}

}  // namespace fluxgen
