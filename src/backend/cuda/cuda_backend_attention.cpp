// CudaBackend: fused attention and rotary embeddings.
#include <cmath>

#include "backend/cuda/attention_kernels.h"
#include "backend/cuda/cuda_backend.h"
#include "backend/cuda/cuda_context.h"
#include "backend/cuda/device_tensors.h"
#include "util/error.h"

namespace fluxgen::cuda {

Tensor CudaBackend::attention(const Tensor& q_in, const Tensor& k_in, const Tensor& v_in, const Tensor* bias_in,
                              bool causal, float scale) {
  check(q_in.defined() && k_in.defined() && v_in.defined(), "attention: undefined tensor");
  check(q_in.ndim() == 4 && k_in.ndim() == 4 && v_in.ndim() == 4, "attention: q, k, v must be [B, H, L, D]");
  const int64_t B = q_in.dim(0), H = q_in.dim(1), Lq = q_in.dim(2), D = q_in.dim(3);
  const int64_t Lk = k_in.dim(2), Dv = v_in.dim(3);
  check(k_in.dim(0) == B && v_in.dim(0) == B && k_in.dim(1) == H && v_in.dim(1) == H && k_in.dim(3) == D &&
            v_in.dim(2) == Lk,
        "attention: shapes q ", q_in.describe(), " k ", k_in.describe(), " v ", v_in.describe(), " disagree");
  const Tensor q = input(q_in, "attention"), k = input(k_in, "attention"), v = input(v_in, "attention");
  Tensor out = device_empty({B, H, Lq, Dv}, options_.activations);

  kernels::AttentionArgs a;
  a.q = q.raw_data();
  a.k = k.raw_data();
  a.v = v.raw_data();
  a.o = out.raw_data();
  a.t = options_.activations;
  a.B = B, a.H = H, a.Lq = Lq, a.Lk = Lk, a.D = D, a.Dv = Dv;
  a.causal = causal;
  a.scale = scale > 0.0f ? scale : 1.0f / std::sqrt(static_cast<float>(D));
  DeviceParam bias;
  if (bias_in) {
    const Tensor& bt = *bias_in;
    check(bt.ndim() == 4 && (bt.dim(0) == B || bt.dim(0) == 1) && (bt.dim(1) == H || bt.dim(1) == 1) &&
              bt.dim(2) == Lq && bt.dim(3) == Lk,
          "attention: bias ", bt.describe(), " does not broadcast to [", B, ", ", H, ", ", Lq, ", ", Lk, "]");
    bias = device_param(bias_in, bt.numel(), "attention bias");
    a.bias = bias.ref;
    a.bias_batch_stride = bt.dim(0) == 1 ? 0 : bt.dim(1) * Lq * Lk;
    a.bias_head_stride = bt.dim(1) == 1 ? 0 : Lq * Lk;
  }
  if (out.numel() == 0) return out;
  check(Lk > 0, "attention: no keys to attend to (", k_in.describe(), ")");
  Context& ctx = Context::get();
  if (kernels::flash_attention_supported(a, ctx.device().shared_memory_per_block_optin))
    kernels::flash_attention(a, ctx.stream());
  else
    kernels::generic_attention(a, ctx.stream());
  return out;
}

Tensor CudaBackend::rope(const Tensor& x_in, const Tensor& cos_in, const Tensor& sin_in) {
  check(x_in.defined() && cos_in.defined() && sin_in.defined(), "rope: undefined tensor");
  check(x_in.ndim() == 4 && x_in.dim(3) % 2 == 0, "rope: x must be [B, H, L, D] with even D, got ", x_in.describe());
  const int64_t B = x_in.dim(0), H = x_in.dim(1), L = x_in.dim(2), half = x_in.dim(3) / 2;
  check(cos_in.numel() == sin_in.numel() && (cos_in.numel() == L * half || cos_in.numel() == B * L * half),
        "rope: cos/sin ", cos_in.describe(), " do not match ", x_in.describe());
  const bool per_batch = cos_in.numel() == B * L * half && B > 1;
  const Tensor x = input(x_in, "rope");
  const DeviceParam c = device_param(&cos_in, cos_in.numel(), "rope");
  const DeviceParam s = device_param(&sin_in, sin_in.numel(), "rope");
  Tensor out = device_empty(x.shape(), options_.activations);
  kernels::rope(options_.activations, x.raw_data(), out.raw_data(), B, H, L, half, c.ref, s.ref, per_batch,
                Context::get().stream());
  return out;
}

}  // namespace fluxgen::cuda
