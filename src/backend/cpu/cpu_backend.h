// The CPU backend: fp32 compute, OpenMP threads, GEMMs through oneDNN (else CBLAS) in the same
// OpenMP pool (backend/cpu/gemm.h). Weights in narrow dtypes are dequantized a wide band of rows at
// a time into a reused buffer that feeds one GEMM over every token, so no weight is ever expanded
// to fp32 whole; exp/tanh loops are vectorised (vector_math.h); attention runs a head per thread.
#pragma once
#include "backend/backend.h"

namespace fluxgen {

class CpuBackend final : public Backend {
 public:
  const char* name() const override { return "cpu"; }
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
};

namespace cpu {
// The host F32 tensor an op works on: `t` itself, or its fp32 copy when stored narrower.
Tensor as_f32(const Tensor& t, const char* op);
}  // namespace cpu

}  // namespace fluxgen
