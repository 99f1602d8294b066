// A Backend that hands every operation to another one: the base of the decorators (the GPU
// benchmark's per-operation timer, the tests' stand-in device), so that the operation list is
// written here once instead of in each of them. A decorator overrides the hooks: `arg` maps each
// tensor argument and `result` each result of a compute operation (the stand-in device: device
// tensor <-> host view), `call` wraps every operation (the timer); and it overrides any operation
// it implements itself. Transfers and memory queries go to the inner backend unmapped.
#pragma once
#include <functional>
#include <initializer_list>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "backend/backend.h"

namespace fluxgen {

class ForwardingBackend : public Backend {
 public:
  Tensor upload(const Tensor& host) override;
  Tensor upload_weight(const Tensor& host) override;
  Tensor download(const Tensor& t) override;
  Tensor pin(const Tensor& host) override { return inner().pin(host); }
  Tensor upload_weight_async(const Tensor& host) override { return inner().upload_weight_async(host); }
  void wait_for_uploads() override { inner().wait_for_uploads(); }
  DeviceMemory memory() override { return inner().memory(); }
  void set_memory_limit(uint64_t bytes) override { inner().set_memory_limit(bytes); }
  void reset_memory_peak() override { inner().reset_memory_peak(); }
  void release_cached() override { inner().release_cached(); }
  void use_device(int index) override { inner().use_device(index); }
  DType compute_dtype() override { return inner().compute_dtype(); }
  std::string device_name() override { return inner().device_name(); }
  bool supports_graphs() override { return inner().supports_graphs(); }
  void begin_capture() override { inner().begin_capture(); }
  std::unique_ptr<DeviceGraph> end_capture() override { return inner().end_capture(); }
  void abort_capture() override { inner().abort_capture(); }
  Tensor copy(const Tensor& src) override;
  void copy_into(const Tensor& dst, const Tensor& src) override;

  Tensor dequantize(const Tensor& weight) override;
  Tensor linear(const Tensor& x, const Tensor& weight, const Tensor* bias) override;
  Tensor attention(const Tensor& q, const Tensor& k, const Tensor& v, const Tensor* bias, bool causal, float scale) override;
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
  Tensor conv2d(const Tensor& x, const Tensor& weight, const Tensor* bias, int stride, int padding, int groups) override;
  Tensor pad2d(const Tensor& x, int left, int right, int top, int bottom, float value) override;
  Tensor upsample_nearest(const Tensor& x, int factor) override;
  Tensor pixel_shuffle(const Tensor& x, int factor) override;
  Tensor pixel_unshuffle(const Tensor& x, int factor) override;
  Tensor max_pool2d(const Tensor& x, int kernel, int stride, int padding) override;

  // The name of an activation or binary operation as `call` receives it ("silu", "add").
  static const char* op_name(Activation a);
  static const char* op_name(Binary b);

 protected:
  virtual Backend& inner() = 0;
  virtual Tensor arg(const Tensor& t) { return t; }
  virtual Tensor result(Tensor t) { return t; }
  // Runs one operation: `op` its name ("linear", "silu", "upload"), `inputs` its leading tensor
  // arguments as the caller passed them (for labels such as a GEMM's shape). The `run` of a
  // compute operation holds copies of its arguments: a decorator may keep it and run it again
  // (the stand-in device replays a captured graph so).
  virtual Tensor call(const char* op, std::initializer_list<const Tensor*> inputs, const std::function<Tensor()>& run);

 private:
  // An optional argument as the operations' lambdas hold it (a copy, not the caller's pointer).
  static std::optional<Tensor> held(const Tensor* t) { return t ? std::optional<Tensor>(*t) : std::nullopt; }
  std::unique_ptr<Tensor> opt(const std::optional<Tensor>& t) { return t ? std::make_unique<Tensor>(arg(*t)) : nullptr; }
  std::vector<Tensor> args(const std::vector<Tensor>& ts);
};

}  // namespace fluxgen
