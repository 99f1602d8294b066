// Making the CUDA backend available to ops.h: registered for Device::CUDA when this process sees a
// GPU. Without a GPU or driver nothing changes and everything runs on the CPU.
#pragma once
#include "backend/cuda/cuda_backend.h"

namespace fluxgen::cuda {

// Registers the backend when a CUDA device (compute capability 8.0+) is present; returns whether
// it did. Cheap when there is none. The GPU itself (stream, cuBLASLt) is set up on first use.
bool install(const CudaBackendOptions& options = {});
// The registered backend, or nullptr before install() succeeded.
CudaBackend* installed_backend();

}  // namespace fluxgen::cuda
