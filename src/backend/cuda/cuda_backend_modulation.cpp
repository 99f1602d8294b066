// FLUX's modulation on the GPU: one fused kernel each instead of the four (layer norm, 1 + scale,
// multiply, add) and two (multiply, add) the composition launches (modulation_kernels.h).
#include "backend/cuda/cuda_backend.h"
#include "backend/cuda/cuda_context.h"
#include "backend/cuda/device_tensors.h"
#include "backend/cuda/modulation_kernels.h"
#include "util/error.h"

namespace fluxgen::cuda {

namespace {

struct RowLayout {
  int64_t rows = 0, D = 0, tokens = 0;
};

// x [B, ..., D] against a per-batch vector [B, 1, D] (or [B, D]).
RowLayout row_layout(const Tensor& x, const Tensor& per_batch, const char* op) {
  check(x.ndim() >= 2, op, ": expected [B, L, D], got ", x.describe());
  RowLayout r;
  r.D = x.dim(-1);
  const int64_t B = x.dim(0);
  r.rows = r.D > 0 ? x.numel() / r.D : 0;
  r.tokens = B > 0 ? r.rows / B : 0;
  check(per_batch.numel() == B * r.D && per_batch.dim(-1) == r.D && per_batch.dim(0) == B, op, ": ",
        per_batch.describe(), " is not one [1, ", r.D, "] vector per batch item of ", x.describe());
  return r;
}

}  // namespace

Tensor CudaBackend::modulated_layer_norm(const Tensor& x_in, const Tensor& scale_in, const Tensor& shift_in, float eps) {
  const Tensor x = input(x_in, "modulated_layer_norm"), scale = input(scale_in, "modulated_layer_norm"),
               shift = input(shift_in, "modulated_layer_norm");
  const RowLayout r = row_layout(x, scale, "modulated_layer_norm");
  row_layout(x, shift, "modulated_layer_norm");
  Tensor out = device_empty(x.shape(), options_.activations);
  kernels::modulated_layer_norm(options_.activations, x.raw_data(), scale.raw_data(), shift.raw_data(), out.raw_data(),
                                r.rows, r.D, r.tokens, eps, Context::get().stream());
  return out;
}

Tensor CudaBackend::gated_add(const Tensor& x_in, const Tensor& gate_in, const Tensor& y_in) {
  const Tensor x = input(x_in, "gated_add"), gate = input(gate_in, "gated_add"), y = input(y_in, "gated_add");
  check(x.shape() == y.shape(), "gated_add: ", x.describe(), " and ", y.describe(), " differ in shape");
  const RowLayout r = row_layout(x, gate, "gated_add");
  Tensor out = device_empty(x.shape(), options_.activations);
  kernels::gated_add(options_.activations, x.raw_data(), gate.raw_data(), y.raw_data(), out.raw_data(), r.rows, r.D,
                     r.tokens, Context::get().stream());
  return out;
}

}  // namespace fluxgen::cuda
