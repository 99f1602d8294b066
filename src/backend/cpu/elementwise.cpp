// CpuBackend: activations and broadcasting elementwise arithmetic.
#include <algorithm>
#include <cmath>

#include "backend/cpu/cpu_backend.h"
#include "backend/cpu/vector_math.h"
#include "tensor/broadcast.h"
#include "util/error.h"
#include "util/strings.h"

namespace fluxgen {

namespace {

template <typename F>
Tensor map_unary(const Tensor& x_in, const char* op, F f) {
  const Tensor x = cpu::as_f32(x_in, op);
  Tensor out = Tensor::empty(x.shape());
  const float* xp = x.f32();
  float* o = out.f32();
  const int64_t n = x.numel();
#pragma omp parallel for schedule(static) if (n > 65536)
  for (int64_t i = 0; i < n; ++i) o[i] = f(xp[i]);
  return out;
}

template <typename F>
Tensor broadcast_binary(const Tensor& a_in, const Tensor& b_in, F f) {
  const Tensor a = cpu::as_f32(a_in, "binary op"), b = cpu::as_f32(b_in, "binary op");
  const float* ap = a.f32();
  const float* bp = b.f32();
  if (a.shape() == b.shape()) {
    Tensor out = Tensor::empty(a.shape());
    float* o = out.f32();
    const int64_t n = a.numel();
#pragma omp parallel for schedule(static) if (n > 65536)
    for (int64_t i = 0; i < n; ++i) o[i] = f(ap[i], bp[i]);
    return out;
  }
  const Shape shape = broadcast_shape(a.shape(), b.shape());
  Tensor out = Tensor::empty(shape);
  float* o = out.f32();
  if (shape.empty() || out.numel() == 0) {
    if (out.numel()) o[0] = f(ap[0], bp[0]);
    return out;
  }
  const auto sa = broadcast_strides(a.shape(), shape), sb = broadcast_strides(b.shape(), shape);
  const size_t nd = shape.size();
  const int64_t inner = shape.back(), outer = out.numel() / inner;
  const int64_t ia = sa.back(), ib = sb.back();
#pragma omp parallel for schedule(static) if (out.numel() > 65536)
  for (int64_t r = 0; r < outer; ++r) {
    // Offsets of this row in a and b from its multi-index over the outer dimensions.
    int64_t rem = r, oa = 0, ob = 0;
    for (size_t d = nd - 1; d-- > 0;) {
      const int64_t idx = rem % shape[d];
      rem /= shape[d];
      oa += idx * sa[d];
      ob += idx * sb[d];
    }
    float* orow = o + r * inner;
    for (int64_t i = 0; i < inner; ++i) orow[i] = f(ap[oa + i * ia], bp[ob + i * ib]);
  }
  return out;
}

// A vector_math kernel over the whole tensor, in chunks across threads.
Tensor map_kernel(const Tensor& x_in, const char* op, void (*kernel)(const float*, float*, int64_t)) {
  const Tensor x = cpu::as_f32(x_in, op);
  Tensor out = Tensor::empty(x.shape());
  const float* xp = x.f32();
  float* o = out.f32();
  const int64_t n = x.numel(), chunk = 16384;
#pragma omp parallel for schedule(static) if (n > 65536)
  for (int64_t c = 0; c < n; c += chunk) kernel(xp + c, o + c, std::min(chunk, n - c));
  return out;
}

}  // namespace

Tensor CpuBackend::activation(const Tensor& x, Activation a) {
  switch (a) {
    case Activation::SiLU: return map_kernel(x, "silu", cpu::silu);
    case Activation::GeluTanh: return map_kernel(x, "gelu_tanh", cpu::gelu_tanh);
    case Activation::GeluErf:
      return map_unary(x, "gelu", [](float v) { return 0.5f * v * (1.0f + std::erf(v * 0.7071067811865476f)); });
    case Activation::QuickGelu:
      return map_unary(x, "quick_gelu", [](float v) { return v / (1.0f + std::exp(-1.702f * v)); });
    case Activation::ReLU: return map_unary(x, "relu", [](float v) { return v > 0.0f ? v : 0.0f; });
    case Activation::Tanh: return map_kernel(x, "tanh", cpu::tanh);
    case Activation::Sigmoid: return map_kernel(x, "sigmoid", cpu::sigmoid);
  }
  fail("internal: unknown activation");
}

Tensor CpuBackend::leaky_relu(const Tensor& x, float slope) {
  return map_unary(x, "leaky_relu", [slope](float v) { return v >= 0.0f ? v : v * slope; });
}

Tensor CpuBackend::prelu(const Tensor& x_in, const Tensor& slope_in) {
  const Tensor x = cpu::as_f32(x_in, "prelu"), slope = cpu::as_f32(slope_in, "prelu");
  const int64_t C = x.ndim() >= 2 ? x.dim(1) : 1;
  check(slope.numel() == 1 || slope.numel() == C, "prelu: ", slope.numel(), " slopes for ", C, " channels");
  const int64_t N = x.ndim() >= 1 ? x.dim(0) : 1;
  const int64_t spatial = x.numel() / std::max<int64_t>(N * C, 1);
  Tensor out = Tensor::empty(x.shape());
  const float* xp = x.f32();
  const float* sp = slope.f32();
  float* o = out.f32();
#pragma omp parallel for collapse(2) schedule(static) if (x.numel() > 65536)
  for (int64_t n = 0; n < N; ++n)
    for (int64_t c = 0; c < C; ++c) {
      const float a = sp[slope.numel() == 1 ? 0 : c];
      const int64_t base = (n * C + c) * spatial;
      for (int64_t i = 0; i < spatial; ++i) {
        const float v = xp[base + i];
        o[base + i] = v >= 0.0f ? v : v * a;
      }
    }
  return out;
}

Tensor CpuBackend::binary(const Tensor& a, const Tensor& b, Binary op) {
  switch (op) {
    case Binary::Add: return broadcast_binary(a, b, [](float x, float y) { return x + y; });
    case Binary::Sub: return broadcast_binary(a, b, [](float x, float y) { return x - y; });
    case Binary::Mul: return broadcast_binary(a, b, [](float x, float y) { return x * y; });
    case Binary::Div: return broadcast_binary(a, b, [](float x, float y) { return x / y; });
  }
  fail("internal: unknown binary op");
}

Tensor CpuBackend::affine(const Tensor& x, float mul, float add) {
  return map_unary(x, "affine", [mul, add](float v) { return v * mul + add; });
}

Tensor CpuBackend::clamp(const Tensor& x, float lo, float hi) {
  return map_unary(x, "clamp", [lo, hi](float v) { return std::min(std::max(v, lo), hi); });
}

}  // namespace fluxgen
