// The state of the running job, shared between the worker, the CLI's progress bar and the HTTP
// API's /progress: which job, which step of how many, an ETA, the latest preview, and the
// interrupt/skip requests. Thread-safe.
#pragma once
#include <atomic>
#include <chrono>
#include <functional>
#include <mutex>
#include <string>

#include "tensor/tensor.h"

namespace fluxgen {

struct ProgressSnapshot {
  bool active = false;
  std::string job;        // "txt2img", "hires", "adetailer", ...
  int job_no = 0;         // image index within the request
  int job_count = 0;
  int sampling_step = 0;
  int sampling_steps = 0;
  double progress = 0.0;  // 0..1 over the whole request
  double eta_relative = 0.0;  // seconds left (A1111's name)
  double elapsed = 0.0;
  double steps_per_second = 0.0;  // of the current pass
  Tensor preview_latent;  // the latest denoised estimate, for current_image
  int64_t preview_step = -1;
};

class ProgressTracker {
 public:
  // A request made of `total_units` sampling steps in all (every pass of every image).
  void begin(int total_units, int job_count);
  // Passes whose length is only known later (ADetailer: one per detection) add their steps.
  void add_units(int units);
  void begin_pass(const std::string& job, int job_no, int steps);
  void step(int step, const Tensor* denoised);
  void end();

  ProgressSnapshot snapshot() const;

  void interrupt() { interrupt_ = true; }
  void skip() { skip_ = true; }
  bool interrupted() const { return interrupt_; }
  // True once per skip request: the current image stops, the next one starts.
  bool take_skip() { return skip_.exchange(false); }
  void reset_requests() {
    interrupt_ = false;
    skip_ = false;
  }

  // Called on every step (CLI progress bar); set before begin().
  std::function<void(const ProgressSnapshot&)> on_update;
  // Keep a preview every n steps (0 = never).
  int preview_every = 0;

 private:
  mutable std::mutex mu_;
  ProgressSnapshot s_;
  int total_units_ = 0;
  int done_units_ = 0;
  std::chrono::steady_clock::time_point start_, pass_start_;
  std::atomic<bool> interrupt_{false}, skip_{false};
};

// A one-line terminal progress bar on stderr: "txt2img 1/2 [#####.....] 6/12 2.10 it/s ETA 00:03".
std::function<void(const ProgressSnapshot&)> terminal_progress_bar();

}  // namespace fluxgen
