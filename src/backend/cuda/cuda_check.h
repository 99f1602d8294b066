// CUDA and cuBLASLt status codes turned into fluxgen::Error messages that say what was being done.
#pragma once
#include <cublasLt.h>
#include <cuda_runtime.h>

namespace fluxgen::cuda {

// Throws "CUDA error in <what>: <name> (<description>)" unless status is cudaSuccess.
void check_cuda(cudaError_t status, const char* what);
// Right after a kernel launch: reports a launch that failed (bad configuration, no kernel image for
// this GPU). Errors inside the kernel surface at the next synchronizing call.
void check_launch(const char* kernel);
void check_cublas(cublasStatus_t status, const char* what);

}  // namespace fluxgen::cuda
