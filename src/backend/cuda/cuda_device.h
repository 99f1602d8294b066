// Which CUDA devices this process can use. Safe to call on machines without a GPU or driver:
// it reports none instead of failing.
#pragma once
#include <string>
#include <vector>

namespace fluxgen::cuda {

struct DeviceInfo {
  int index;
  std::string name;
  int compute_major;
  int compute_minor;
  size_t total_memory;
};

// Empty when there is no driver, no device, or the build has no CUDA.
std::vector<DeviceInfo> list_devices();

}  // namespace fluxgen::cuda
