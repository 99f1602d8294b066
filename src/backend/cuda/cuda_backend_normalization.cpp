// CudaBackend: LayerNorm, RMSNorm, GroupNorm and softmax (fp32 statistics whatever the activations).
#include "backend/cuda/cuda_backend.h"
#include "backend/cuda/cuda_context.h"
#include "backend/cuda/device_tensors.h"
#include "backend/cuda/normalization_kernels.h"
#include "util/error.h"

namespace fluxgen::cuda {

Tensor CudaBackend::layer_norm(const Tensor& x_in, const Tensor* weight, const Tensor* bias, float eps) {
  const Tensor x = input(x_in, "layer_norm");
  check(x.ndim() >= 1, "layer_norm: input must have a dimension to normalize, got ", x.describe());
  const int64_t D = x.dim(-1), rows = D > 0 ? x.numel() / D : 0;
  const DeviceParam w = device_param(weight, D, "layer_norm"), b = device_param(bias, D, "layer_norm");
  Tensor out = device_empty(x.shape(), options_.activations);
  kernels::layer_norm(options_.activations, x.raw_data(), out.raw_data(), rows, D, w.ref, b.ref, eps,
                      Context::get().stream());
  return out;
}

Tensor CudaBackend::rms_norm(const Tensor& x_in, const Tensor* weight, float eps) {
  const Tensor x = input(x_in, "rms_norm");
  check(x.ndim() >= 1, "rms_norm: input must have a dimension to normalize, got ", x.describe());
  const int64_t D = x.dim(-1), rows = D > 0 ? x.numel() / D : 0;
  const DeviceParam w = device_param(weight, D, "rms_norm");
  Tensor out = device_empty(x.shape(), options_.activations);
  kernels::rms_norm(options_.activations, x.raw_data(), out.raw_data(), rows, D, w.ref, eps, Context::get().stream());
  return out;
}

Tensor CudaBackend::group_norm(const Tensor& x_in, int groups, const Tensor* weight, const Tensor* bias, float eps) {
  const Tensor x = input(x_in, "group_norm");
  check(x.ndim() >= 2, "group_norm: input must be [N, C, ...], got ", x.describe());
  const int64_t N = x.dim(0), C = x.dim(1);
  check(groups > 0 && C % groups == 0, "group_norm: ", C, " channels do not split into ", groups, " groups");
  check(N * groups <= 65535, "group_norm: ", N * groups, " groups exceed the CUDA grid");
  const int64_t spatial = N * C > 0 ? x.numel() / (N * C) : 0;
  const DeviceParam w = device_param(weight, C, "group_norm"), b = device_param(bias, C, "group_norm");
  Tensor out = device_empty(x.shape(), options_.activations);
  Tensor scratch = device_empty({4 * N * groups}, DType::F64);
  kernels::group_norm(options_.activations, x.raw_data(), out.raw_data(), N, C, spatial, groups, w.ref, b.ref, eps,
                      scratch.data<double>(), Context::get().stream());
  return out;
}

Tensor CudaBackend::softmax(const Tensor& x_in) {
  const Tensor x = input(x_in, "softmax");
  check(x.ndim() >= 1, "softmax: input must have a dimension, got ", x.describe());
  const int64_t D = x.dim(-1), rows = D > 0 ? x.numel() / D : 0;
  Tensor out = device_empty(x.shape(), options_.activations);
  kernels::softmax(options_.activations, x.raw_data(), out.raw_data(), rows, D, Context::get().stream());
  return out;
}

}  // namespace fluxgen::cuda
