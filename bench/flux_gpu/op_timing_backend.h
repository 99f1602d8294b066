// A Backend that forwards every call to another one (the CUDA backend) and times it with CUDA
// events on the context's stream, grouping calls by what they compute ("linear NF4 4096x3072->9216",
// "attention L=4608 D=128", "layer_norm"). Registered in place of the CUDA backend for one step,
// it says where that step's time goes without a profiler. The events cost a little: the timed
// step runs without it.
#pragma once
#include <cuda_runtime.h>

#include <string>
#include <vector>

#include "backend/backend.h"

namespace fluxgen::bench {

class OpTimingBackend final : public Backend {
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
  Tensor upload(const Tensor& host) override;
  Tensor upload_weight(const Tensor& host) override;
  Tensor download(const Tensor& t) override;
  Tensor dequantize(const Tensor& weight) override;
  Tensor linear(const Tensor& x, const Tensor& weight, const Tensor* bias) override;
  Tensor attention(const Tensor& q, const Tensor& k, const Tensor& v, const Tensor* bias, bool causal,
                   float scale) override;
  Tensor layer_norm(const Tensor& x, const Tensor* weight, const Tensor* bias, float eps) override;
  Tensor rms_norm(const Tensor& x, const Tensor* weight, float eps) override;
  Tensor group_norm(const Tensor& x, int groups, const Tensor* weight, const Tensor* bias, float eps) override;
  Tensor modulated_layer_norm(const Tensor& x, const Tensor& scale, const Tensor& shift, float eps) override;
  Tensor gated_add(const Tensor& x, const Tensor& gate, const Tensor& y) override;
  Tensor softmax(const Tensor& x) override;
  Tensor activation(const Tensor& x, Activation a) override;
  Tensor leaky_relu(const Tensor& x, float slope) override;
  Tensor prelu(const Tensor& x, const Tensor& slope) override;
  Tensor binary(const Tensor& a, const Tensor& b, Binary op) override;
  Tensor affine(const Tensor& x, float mul, float add) override;
  Tensor clamp(const Tensor& x, float lo, float hi) override;
  Tensor permute(const Tensor& x, const std::vector<int>& dims) override;
  Tensor concat(const std::vector<Tensor>& parts, int dim) override;
  Tensor slice(const Tensor& x, int dim, int64_t start, int64_t end) override;
  Tensor embedding(const Tensor& ids, const Tensor& table) override;
  Tensor rope(const Tensor& x, const Tensor& cos, const Tensor& sin) override;
  Tensor conv2d(const Tensor& x, const Tensor& weight, const Tensor* bias, int stride, int padding,
                int groups) override;
  Tensor pad2d(const Tensor& x, int left, int right, int top, int bottom, float value) override;
  Tensor upsample_nearest(const Tensor& x, int factor) override;
  Tensor pixel_shuffle(const Tensor& x, int factor) override;
  Tensor pixel_unshuffle(const Tensor& x, int factor) override;
  Tensor max_pool2d(const Tensor& x, int kernel, int stride, int padding) override;

 private:
  template <typename F>
  Tensor timed(std::string label, F&& call);
  struct Pending {
    std::string label;
    cudaEvent_t start, stop;
  };
  Backend& inner_;
  std::vector<Pending> pending_;
};

}  // namespace fluxgen::bench
