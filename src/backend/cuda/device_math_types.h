// Plain types shared by host launchers and device kernels.
#pragma once
#include "tensor/dtype.h"

namespace fluxgen::cuda::kernels {

// A small parameter vector (norm weights, biases, RoPE tables, attention bias) read as float
// whatever its dtype among F32, BF16 and F16; p == nullptr means "absent".
struct ParamRef {
  const void* p = nullptr;
  fluxgen::DType dtype = fluxgen::DType::F32;
};

}  // namespace fluxgen::cuda::kernels
