// Shared by the GPU op tests: the two backends, random inputs, the activation modes each op is
// checked in, and the comparison of a GPU result with the CPU backend's.
#pragma once
#include <string>
#include <vector>

#include "backend/cuda/cuda_backend.h"
#include "tensor/tensor.h"

namespace fluxgen::gpu_test {

Backend& cpu();
cuda::CudaBackend& gpu();

// A host F32 tensor of N(0, scale²) values, the same for the same seed.
Tensor random(const Shape& shape, uint64_t seed, float scale = 1.0f);

struct Mode {
  DType activations;
  double tolerance;  // relative L2 against the fp32 CPU backend
  const char* name;
};
// F32 activations (1e-5: fp32 arithmetic in another order) and BF16 (1e-2: bf16 inputs and outputs).
const std::vector<Mode>& modes();
// Sets the GPU backend's activation dtype (FP8 tensor cores on) for the ops that follow.
void use(const Mode& mode);

// rel_l2(download(gpu_result), cpu_result) < bound, printed under `what` with the mode's name.
void expect_close(const std::string& what, const Tensor& gpu_result, const Tensor& cpu_result, double bound);

}  // namespace fluxgen::gpu_test
