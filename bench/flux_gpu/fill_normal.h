// Normal random numbers drawn on the GPU (bench weights).
#pragma once
#include <cstdint>

#include "tensor/dtype.h"

namespace fluxgen::bench {

// n values mean + std·N(0, 1) into a device buffer of type out (F32 or BF16) on the CUDA
// context's stream; element i is a pure function of (seed, i).
void fill_normal_on_device(uint64_t seed, int64_t n, float mean, float std, DType out, void* dst);

}  // namespace fluxgen::bench
