// How fast a request sampled, from the progress callbacks: the mean interval between consecutive
// steps of a pass (each pass's first step carries its setup — model load, text encoding, the
// first cuBLAS plans — and is counted apart), for the end-of-run summary of `generate` and the
// GPU check's table. On a GPU the host may run a few kernels ahead of the card; over a pass of
// many steps the mean interval is the card's time per step.
#pragma once
#include <chrono>
#include <string>

#include "pipeline/progress.h"

namespace fluxgen {

class StepTiming {
 public:
  StepTiming() : start_(std::chrono::steady_clock::now()) {}
  // Call on every progress update (ProgressTracker::on_update).
  void on_update(const ProgressSnapshot& s);
  int steps() const { return steps_; }
  // Mean seconds per step after each pass's first step; 0 when no pass had two steps.
  double seconds_per_step() const { return timed_steps_ ? timed_seconds_ / timed_steps_ : 0.0; }
  // Seconds from construction to the first step's end (load, encode, first step).
  double first_step_after() const { return first_step_after_; }
  double elapsed() const;

 private:
  std::chrono::steady_clock::time_point start_, last_;
  std::string pass_;  // job and image number of the pass being timed
  int last_step_ = 0;
  int steps_ = 0;
  int timed_steps_ = 0;
  double timed_seconds_ = 0.0;
  double first_step_after_ = 0.0;
};

}  // namespace fluxgen
