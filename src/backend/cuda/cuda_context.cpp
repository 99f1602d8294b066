#include "backend/cuda/cuda_context.h"

#include <atomic>

#include "backend/cuda/cuda_check.h"
#include "util/error.h"

namespace fluxgen::cuda {

namespace {
// cuBLASLt's recommendation for Hopper; ample for the older architectures.
constexpr size_t kGemmWorkspace = size_t(32) << 20;
}  // namespace

namespace {
std::atomic<bool> context_created{false};
}  // namespace

Context& Context::get() {
  static Context* context = [] {
    Context* c = new Context();
    context_created = true;
    return c;
  }();
  return *context;
}

bool Context::created() { return context_created; }

Context::Context() {
  int count = 0;
  if (cudaGetDeviceCount(&count) != cudaSuccess || count == 0) {
    cudaGetLastError();
    fail("no CUDA device is available (no GPU or no driver)");
  }
  check_cuda(cudaGetDevice(&props_.index), "cudaGetDevice");
  cudaDeviceProp p{};
  check_cuda(cudaGetDeviceProperties(&p, props_.index), "cudaGetDeviceProperties");
  props_.name = p.name;
  props_.sm = p.major * 10 + p.minor;
  props_.multiprocessors = p.multiProcessorCount;
  props_.shared_memory_per_block_optin = p.sharedMemPerBlockOptin;
  props_.total_memory = p.totalGlobalMem;
  check(props_.sm >= 80, "CUDA device ", props_.name, " has compute capability ", p.major, ".", p.minor,
        "; fluxgen's CUDA backend needs 8.0 or newer (Ampere, Ada, Hopper)");
  check_cuda(cudaStreamCreateWithFlags(&stream_, cudaStreamNonBlocking), "cudaStreamCreate");
  check_cuda(cudaStreamCreateWithFlags(&copy_stream_, cudaStreamNonBlocking), "cudaStreamCreate (copies)");
  check_cuda(cudaEventCreateWithFlags(&compute_mark_, cudaEventDisableTiming), "cudaEventCreate");
  check_cuda(cudaEventCreateWithFlags(&copies_done_, cudaEventDisableTiming), "cudaEventCreate");
  check_cublas(cublasLtCreate(&cublas_), "cublasLtCreate");
  check_cuda(cudaMalloc(&workspace_, kGemmWorkspace), "cudaMalloc (GEMM workspace)");
  workspace_bytes_ = kGemmWorkspace;
  check_cuda(cudaMalloc(&unit_scale_, sizeof(float)), "cudaMalloc (unit scale)");
  const float one = 1.0f;
  check_cuda(cudaMemcpy(unit_scale_, &one, sizeof(float), cudaMemcpyHostToDevice), "cudaMemcpy (unit scale)");
}

void Context::synchronize() const { check_cuda(cudaStreamSynchronize(stream_), "cudaStreamSynchronize"); }

}  // namespace fluxgen::cuda
