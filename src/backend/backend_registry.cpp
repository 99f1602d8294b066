#include "backend/backend.h"
#include "backend/cpu/cpu_backend.h"
#include "util/error.h"

namespace fluxgen {

namespace {
Backend*& slot(Device device) {
  static Backend* cuda = nullptr;
  static CpuBackend cpu;
  static Backend* cpu_ptr = &cpu;
  return device == Device::CPU ? cpu_ptr : cuda;
}
}  // namespace

Backend& backend_for(Device device) {
  Backend* b = slot(device);
  if (!b) fail("no backend for the CUDA device in this build (fluxgen was built without CUDA or no GPU was found)");
  return *b;
}

void register_backend(Device device, Backend* backend) { slot(device) = backend; }

bool backend_available(Device device) { return slot(device) != nullptr; }

void Backend::check_device_index(int index) {
  check(index == 0, "device index ", index, " is not available: this backend has one device (index 0)");
}

}  // namespace fluxgen
