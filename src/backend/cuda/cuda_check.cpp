#include "backend/cuda/cuda_check.h"

#include "util/error.h"

namespace fluxgen::cuda {

void check_cuda(cudaError_t status, const char* what) {
  if (status == cudaSuccess) return;
  cudaGetLastError();  // clear a non-sticky error so the next call does not report it again
  fail("CUDA error in ", what, ": ", cudaGetErrorName(status), " (", cudaGetErrorString(status), ")");
}

void check_launch(const char* kernel) { check_cuda(cudaGetLastError(), kernel); }

void check_cublas(cublasStatus_t status, const char* what) {
  if (status == CUBLAS_STATUS_SUCCESS) return;
  fail("cuBLASLt error in ", what, ": status ", static_cast<int>(status));
}

}  // namespace fluxgen::cuda
