// The GPU fluxgen computes on, set up once per process: its properties, the one stream every
// kernel, copy and GEMM runs on (which also orders the reuse of cached memory), the cuBLASLt
// handle with its workspace, and the tensor allocator.
#pragma once
#include <cublasLt.h>
#include <cuda_runtime.h>

#include <string>

#include "backend/cuda/device_allocator.h"

namespace fluxgen::cuda {

struct DeviceProperties {
  int index = 0;
  std::string name;
  int sm = 0;  // compute capability as 10·major + minor: 80, 86, 89, 90
  int multiprocessors = 0;
  size_t shared_memory_per_block_optin = 0;
  size_t total_memory = 0;
};

class Context {
 public:
  // Created on the first call, for the current CUDA device (device 0 unless the process chose
  // another); throws a fluxgen::Error when there is no usable GPU. Never destroyed: tensors
  // released during static destruction still find their allocator.
  static Context& get();
  // Whether get() has set the GPU up already (a device choice must come before).
  static bool created();

  const DeviceProperties& device() const { return props_; }
  cudaStream_t stream() const { return stream_; }
  // The second stream streamed weights are copied on (Backend::upload_weight_async), with the
  // events that order it against the compute stream.
  cudaStream_t copy_stream() const { return copy_stream_; }
  cudaEvent_t compute_mark() const { return compute_mark_; }
  cudaEvent_t copies_done() const { return copies_done_; }
  cublasLtHandle_t cublas() const { return cublas_; }
  DeviceAllocator& allocator() { return allocator_; }
  void* gemm_workspace() const { return workspace_; }
  size_t gemm_workspace_bytes() const { return workspace_bytes_; }
  // A device float holding 1.0 (the scale of FP8 weights stored without one).
  const float* unit_scale() const { return unit_scale_; }
  // Waits for all queued work; reports errors raised inside kernels.
  void synchronize() const;

 private:
  Context();
  DeviceProperties props_;
  cudaStream_t stream_ = nullptr;
  cudaStream_t copy_stream_ = nullptr;
  cudaEvent_t compute_mark_ = nullptr, copies_done_ = nullptr;
  cublasLtHandle_t cublas_ = nullptr;
  DeviceAllocator allocator_;
  void* workspace_ = nullptr;
  size_t workspace_bytes_ = 0;
  float* unit_scale_ = nullptr;
};

}  // namespace fluxgen::cuda
