// The denoising step as a device graph (a CUDA graph): a FLUX forward launches a few thousand
// kernels, the same ones every step, so from the second step of a pass with the same shapes the
// blocks (FluxModel::blocks) are replayed from one captured graph instead. The first step runs as
// usual (it sizes the decoding buffers and GEMM plans the capture then finds ready); the second is
// captured into a graph over static input tensors and replayed; every later step copies its
// inputs into those tensors and replays. The embeddings (host work: timestep embedding, rope
// tables) run every step as usual. The output is the same: the same kernels on the same values.
//
// Not used (the plain forward runs) on a backend without graphs, on the CPU, with a step cache
// (whose skipping changes the work from step to step) or with hooks around the blocks (weight
// streaming copies on a second stream). A capture that fails (an operation a graph cannot hold,
// out of memory) leaves the pass on the plain forward, with the reason in failure().
#pragma once
#include <memory>
#include <string>

#include "models/flux/flux_model.h"

namespace fluxgen::flux {

class StepGraph {
 public:
  explicit StepGraph(const FluxModel& model);
  ~StepGraph();
  StepGraph(const StepGraph&) = delete;
  StepGraph& operator=(const StepGraph&) = delete;

  // model.forward(in, cache).
  Tensor forward(const FluxInputs& in, StepCache* cache = nullptr);

  int captures() const { return captures_; }
  int replays() const { return replays_; }
  const std::string& failure() const { return failure_; }

 private:
  struct Captured;
  bool capture(Backend& device, const FluxStepInputs& s);

  const FluxModel& model_;
  std::string shapes_;   // of the inputs the graph (or the warm-up step) had
  bool warmed_ = false;  // a plain step with these shapes ran
  std::unique_ptr<Captured> captured_;
  int captures_ = 0, replays_ = 0;
  std::string failure_;
};

}  // namespace fluxgen::flux
