#include "backend/cuda/cuda_install.h"

#include <mutex>

#include "backend/cuda/cuda_device.h"

namespace fluxgen::cuda {

namespace {
std::mutex install_mutex;
CudaBackend* backend = nullptr;
}  // namespace

bool install(const CudaBackendOptions& options) {
  std::lock_guard<std::mutex> lock(install_mutex);
  if (backend) {
    backend->set_options(options);
    return true;
  }
  const auto devices = list_devices();
  if (devices.empty() || devices.front().compute_major < 8) return false;
  backend = new CudaBackend(options);  // lives as long as the process: tensors may outlive main
  register_backend(Device::CUDA, backend);
  return true;
}

CudaBackend* installed_backend() {
  std::lock_guard<std::mutex> lock(install_mutex);
  return backend;
}

}  // namespace fluxgen::cuda
