// The fused operations of Backend as compositions of its plain ones: what a backend without the
// fused kernel (the CPU, the stand-in device) runs, and the reference the fused kernels are
// checked against (tests/gpu/normalization_tests.cpp).
#include "backend/backend.h"

namespace fluxgen {

Tensor Backend::modulated_layer_norm(const Tensor& x, const Tensor& scale, const Tensor& shift, float eps) {
  const Tensor normed = layer_norm(x, nullptr, nullptr, eps);
  return binary(binary(normed, affine(scale, 1.0f, 1.0f), Binary::Mul), shift, Binary::Add);
}

Tensor Backend::gated_add(const Tensor& x, const Tensor& gate, const Tensor& y) {
  return binary(x, binary(gate, y, Binary::Mul), Binary::Add);
}

}  // namespace fluxgen
