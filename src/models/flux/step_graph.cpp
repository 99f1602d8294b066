#include "models/flux/step_graph.h"

#include <array>
#include <cstdio>

#include "backend/backend.h"

namespace fluxgen::flux {

struct StepGraph::Captured {
  FluxStepInputs inputs;  // the graph reads these: each step's values are copied in
  Tensor output;          // and writes this
  std::unique_ptr<DeviceGraph> graph;
};

StepGraph::StepGraph(const FluxModel& model) : model_(model) {}
StepGraph::~StepGraph() = default;

namespace {

// The tensors of a step's inputs, always in this order (const or not, as `s` is).
template <typename Inputs>
auto tensors_of(Inputs& s) {
  return std::array{&s.img, &s.txt, &s.vec, &s.pe.cos, &s.pe.sin};
}

std::string shapes_of(const FluxStepInputs& s) {
  std::string out;
  for (const Tensor* t : tensors_of(s)) out += t->describe() + ";";
  return out;
}

}  // namespace

Tensor StepGraph::forward(const FluxInputs& in, StepCache* cache) {
  const bool cached = cache && cache->mode() != StepCacheMode::Off;
  if (cached || model_.has_block_hooks() || !failure_.empty() || in.img.device() == Device::CPU)
    return model_.forward(in, cache);
  Backend& device = backend_for(in.img.device());
  if (!device.supports_graphs()) return model_.forward(in, cache);

  const FluxStepInputs s = model_.embed(in);
  const std::string shapes = shapes_of(s);
  if (shapes != shapes_) {
    captured_.reset();
    shapes_ = shapes;
    warmed_ = false;
  }
  if (!warmed_) {
    warmed_ = true;
    return model_.blocks(s);
  }
  if (!captured_) {
    if (!capture(device, s)) return model_.blocks(s);
  } else {
    const auto to = tensors_of(captured_->inputs);
    const auto from = tensors_of(s);
    for (size_t i = 0; i < to.size(); ++i) device.copy_into(*to[i], *from[i]);
  }
  captured_->graph->replay();
  ++replays_;
  // The next replay writes the output again: the caller gets its own copy.
  return device.copy(captured_->output);
}

bool StepGraph::capture(Backend& device, const FluxStepInputs& s) {
  auto c = std::make_unique<Captured>();
  const auto to = tensors_of(c->inputs);
  const auto from = tensors_of(s);
  for (size_t i = 0; i < to.size(); ++i) *to[i] = device.copy(*from[i]);
  device.begin_capture();
  try {
    c->output = model_.blocks(c->inputs);
    c->graph = device.end_capture();
  } catch (const std::exception& e) {
    device.abort_capture();
    failure_ = e.what();
    std::fprintf(stderr, "fluxgen: the denoising steps run without a device graph (%s)\n", failure_.c_str());
    return false;
  }
  captured_ = std::move(c);
  ++captures_;
  return true;
}

}  // namespace fluxgen::flux
