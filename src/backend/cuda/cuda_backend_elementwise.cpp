// CudaBackend: activations and broadcasting arithmetic.
#include <algorithm>

#include "backend/cuda/cuda_backend.h"
#include "backend/cuda/cuda_context.h"
#include "backend/cuda/device_tensors.h"
#include "backend/cuda/elementwise_kernels.h"
#include "tensor/broadcast.h"
#include "util/error.h"

namespace fluxgen::cuda {

namespace {
using kernels::UnaryOp;

// The broadcast as the kernel takes it: size-1 dimensions dropped and neighbours merged where both
// operands run through them contiguously (a [B, L, C] + [1, 1, C] becomes [B·L, C]).
kernels::BroadcastShape collapse(const Shape& out, const std::vector<int64_t>& sa, const std::vector<int64_t>& sb) {
  kernels::BroadcastShape s;
  for (size_t d = 0; d < out.size(); ++d) {
    if (out[d] == 1) continue;
    if (s.ndim > 0) {
      const int last = s.ndim - 1;
      if (s.stride_a[last] == sa[d] * out[d] && s.stride_b[last] == sb[d] * out[d]) {
        s.size[last] *= out[d];
        s.stride_a[last] = sa[d];
        s.stride_b[last] = sb[d];
        continue;
      }
    }
    check(s.ndim < kernels::kMaxDims, "binary op: broadcast of more than ", kernels::kMaxDims,
          " irregular dimensions");
    s.size[s.ndim] = out[d];
    s.stride_a[s.ndim] = sa[d];
    s.stride_b[s.ndim] = sb[d];
    ++s.ndim;
  }
  return s;
}
Tensor unary_op(const Tensor& x_in, DType act, UnaryOp op, float p0, float p1, const char* name) {
  check(x_in.defined(), name, ": undefined tensor");
  const Tensor x = on_device_as(x_in, act);
  Tensor out = device_empty(x.shape(), act);
  kernels::unary(op, act, x.raw_data(), out.raw_data(), x.numel(), p0, p1, Context::get().stream());
  return out;
}

kernels::BinaryOp binary_op(Binary op) {
  switch (op) {
    case Binary::Add: return kernels::BinaryOp::Add;
    case Binary::Sub: return kernels::BinaryOp::Sub;
    case Binary::Mul: return kernels::BinaryOp::Mul;
    case Binary::Div: return kernels::BinaryOp::Div;
  }
  fail("internal: unknown binary op");
}
}  // namespace

Tensor CudaBackend::activation(const Tensor& x, Activation a) {
  switch (a) {
    case Activation::SiLU: return unary_op(x, options_.activations, UnaryOp::SiLU, 0, 0, "silu");
    case Activation::GeluTanh: return unary_op(x, options_.activations, UnaryOp::GeluTanh, 0, 0, "gelu_tanh");
    case Activation::GeluErf: return unary_op(x, options_.activations, UnaryOp::GeluErf, 0, 0, "gelu");
    case Activation::QuickGelu: return unary_op(x, options_.activations, UnaryOp::QuickGelu, 0, 0, "quick_gelu");
    case Activation::ReLU: return unary_op(x, options_.activations, UnaryOp::ReLU, 0, 0, "relu");
    case Activation::Tanh: return unary_op(x, options_.activations, UnaryOp::Tanh, 0, 0, "tanh");
    case Activation::Sigmoid: return unary_op(x, options_.activations, UnaryOp::Sigmoid, 0, 0, "sigmoid");
  }
  fail("internal: unknown activation");
}

Tensor CudaBackend::leaky_relu(const Tensor& x, float slope) {
  return unary_op(x, options_.activations, UnaryOp::LeakyReLU, slope, 0, "leaky_relu");
}

Tensor CudaBackend::affine(const Tensor& x, float mul, float add) {
  return unary_op(x, options_.activations, UnaryOp::Affine, mul, add, "affine");
}

Tensor CudaBackend::clamp(const Tensor& x, float lo, float hi) {
  return unary_op(x, options_.activations, UnaryOp::Clamp, lo, hi, "clamp");
}

Tensor CudaBackend::prelu(const Tensor& x_in, const Tensor& slope_in) {
  const Tensor x = input(x_in, "prelu");
  const int64_t C = x.ndim() >= 2 ? x.dim(1) : 1;
  check(slope_in.numel() == 1 || slope_in.numel() == C, "prelu: ", slope_in.numel(), " slopes for ", C, " channels");
  const int64_t N = x.ndim() >= 1 ? x.dim(0) : 1;
  const int64_t spatial = x.numel() / std::max<int64_t>(N * C, 1);
  const DeviceParam slope = device_param(&slope_in, slope_in.numel(), "prelu");
  Tensor out = device_empty(x.shape(), options_.activations);
  kernels::prelu(options_.activations, x.raw_data(), slope.ref, slope_in.numel() == 1, C, std::max<int64_t>(spatial, 1),
                 x.numel(), out.raw_data(), Context::get().stream());
  return out;
}

Tensor CudaBackend::binary(const Tensor& a_in, const Tensor& b_in, Binary op) {
  const Tensor a = input(a_in, "binary op"), b = input(b_in, "binary op");
  const Shape shape = broadcast_shape(a.shape(), b.shape());
  Tensor out = device_empty(shape, options_.activations);
  if (out.numel() == 0) return out;
  const auto s = collapse(shape, broadcast_strides(a.shape(), shape), broadcast_strides(b.shape(), shape));
  kernels::binary(binary_op(op), options_.activations, a.raw_data(),
                  b.raw_data(), out.raw_data(), s, out.numel(), Context::get().stream());
  return out;
}

}  // namespace fluxgen::cuda
