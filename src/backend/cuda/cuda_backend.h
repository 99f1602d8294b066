// The CUDA backend: every Backend op on an NVIDIA GPU (sm_80 and newer).
//
// Activations are in one dtype per backend, `activations`: BF16 (the default, what generation
// uses) or F32 (exact fp32 arithmetic, for parity checks). Every compute op returns that dtype and
// converts inputs of other dtypes first; statistics (norms, softmax, attention) and accumulation
// (GEMMs, reductions) are fp32 either way. Ops that only move elements (permute, concat, slice)
// keep their input's dtype, as on the CPU. Host tensors given as arguments are copied to the
// device first (ops.h sends mixed calls here); weights stay resident in their storage dtype
// (upload_weight, DeviceWeightStore) and are dequantized as they are used:
//   BF16             cuBLASLt bf16 GEMM;
//   F8_E4M3/F8_E5M2  FP8 tensor-core GEMM on sm_89/sm_90 (activations quantized to e4m3 with a
//                    per-tensor scale), else decoded to bf16 into a reused buffer + bf16 GEMM;
//   NF4/FP4/others   decoded into the reused per-layer buffer + GEMM;
//   ≤ 8 input rows   a fused kernel that decodes the weight while multiplying (any dtype).
#pragma once
#include <memory>

#include "backend/backend.h"

namespace fluxgen::cuda {

struct CudaBackendOptions {
  DType activations = DType::BF16;  // BF16 or F32
  // FP8 weights through FP8 tensor cores where the GPU has them (sm_89+); off: decode to bf16.
  bool fp8_tensor_cores = true;
  bool fp8_fast_accumulation = false;
  // CUDA graphs for the repeated denoising step (models/flux/step_graph.h); off: every step
  // launches its kernels one by one.
  bool graphs = true;
};

class CudaBackend final : public Backend {
 public:
  explicit CudaBackend(const CudaBackendOptions& options = {});
  const char* name() const override { return "cuda"; }
  const CudaBackendOptions& options() const { return options_; }
  // Takes effect for the ops that follow (activations must be BF16 or F32).
  void set_options(const CudaBackendOptions& options);

  Tensor upload(const Tensor& host) override;
  Tensor upload_weight(const Tensor& host) override;
  Tensor download(const Tensor& t) override;

  // Weight streaming and memory (cuda_backend_memory.cpp).
  Tensor pin(const Tensor& host) override;
  Tensor upload_weight_async(const Tensor& host) override;
  void wait_for_uploads() override;
  DeviceMemory memory() override;
  void set_memory_limit(uint64_t bytes) override;
  void reset_memory_peak() override;
  void release_cached() override;
  void use_device(int index) override;
  DType compute_dtype() override { return options_.activations; }
  std::string device_name() override;

  // CUDA graphs and device copies (cuda_backend_graphs.cpp).
  bool supports_graphs() override;
  void begin_capture() override;
  std::unique_ptr<DeviceGraph> end_capture() override;
  void abort_capture() override;
  Tensor copy(const Tensor& src) override;
  void copy_into(const Tensor& dst, const Tensor& src) override;

  Tensor dequantize(const Tensor& weight) override;
  Tensor linear(const Tensor& x, const Tensor& weight, const Tensor* bias) override;
  Tensor attention(const Tensor& q, const Tensor& k, const Tensor& v, const Tensor* bias, bool causal,
                   float scale) override;

  Tensor layer_norm(const Tensor& x, const Tensor* weight, const Tensor* bias, float eps) override;
  Tensor modulated_layer_norm(const Tensor& x, const Tensor& scale, const Tensor& shift, float eps) override;
  Tensor gated_add(const Tensor& x, const Tensor& gate, const Tensor& y) override;
  Tensor rms_norm(const Tensor& x, const Tensor* weight, float eps) override;
  Tensor group_norm(const Tensor& x, int groups, const Tensor* weight, const Tensor* bias, float eps) override;
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
  // The activation-dtype copy of an op's input (host inputs uploaded, other dtypes decoded).
  Tensor input(const Tensor& t, const char* op) const;
  // Weight `w` decoded to the activation dtype into the reused buffer (valid until the next call).
  Tensor decoded_weight(const Tensor& w);
  // Row-major y[M, N] = x[M, K]·W[N, K]ᵀ (+ bias) for a device weight of any dtype.
  void linear_into(const Tensor& x, int64_t M, const Tensor& w, const Tensor* bias, Tensor& y);
  bool fp8_gemm(const Tensor& x, int64_t M, const Tensor& w, const Tensor* bias, Tensor& y);

  CudaBackendOptions options_;
  Tensor weight_buffer_;  // the per-layer dequantization buffer, grown as needed
  bool capturing_ = false;
  std::vector<Tensor> captured_buffers_;  // decoding buffers replaced during the capture
};

}  // namespace fluxgen::cuda
