// A ForwardingBackend over another one (the CUDA backend) that times every call with CUDA
// events on the context's stream, grouping calls by what they compute ("linear NF4 4096x3072->9216",
// "attention L=4608 D=128", "layer_norm"). Registered in place of the CUDA backend for one step,
// it says where that step's time goes without a profiler. The events cost a little: the timed
// step runs without it.
#pragma once
#include <cuda_runtime.h>

#include <string>
#include <vector>

#include "backend/forwarding_backend.h"

namespace fluxgen::bench {

class OpTimingBackend final : public ForwardingBackend {
 public:
  explicit OpTimingBackend(Backend& inner) : inner_(inner) {}
  ~OpTimingBackend() override;

  struct Row {
    std::string op;
    int calls = 0;
    double ms = 0.0;
  };
  // Waits for the device, then the calls so far grouped by label, longest total first.
  std::vector<Row> rows();

  const char* name() const override { return "timed-cuda"; }

 protected:
  Backend& inner() override { return inner_; }
  Tensor call(const char* op, std::initializer_list<const Tensor*> inputs, const std::function<Tensor()>& run) override;

 private:
  struct Pending {
    std::string label;
    cudaEvent_t start, stop;
  };
  Backend& inner_;
  std::vector<Pending> pending_;
};

}  // namespace fluxgen::bench
