#include "pipeline/placement/device_choice.h"

#include <cmath>

#include "backend/backend.h"
#include "util/error.h"
#include "util/strings.h"

namespace fluxgen {

std::string DevicePlacement::describe() const {
  if (device == Device::CPU) return "cpu";
  return "cuda:" + std::to_string(index) + " (" + backend_for(device).device_name() + ", VRAM budget " +
         format_bytes(vram_budget) + ")";
}

DevicePlacement resolve_device(const std::string& spec_in, double budget_gib) {
  const std::string spec = to_lower(trim(spec_in));
  DevicePlacement p;
  check(std::isfinite(budget_gib) && budget_gib >= 0 && budget_gib <= 4096, "--vram-budget: ", budget_gib,
        " GiB is not a usable budget (give GiB, e.g. 12, or 0 for the free memory)");
  if (spec == "cpu") return p;
  if (spec == "auto" || spec.empty()) {
    if (!backend_available(Device::CUDA)) return p;
  } else {
    std::string rest;
    if (spec.rfind("cuda", 0) == 0) rest = spec.substr(4);
    else if (spec.rfind("gpu", 0) == 0) rest = spec.substr(3);
    else fail("--device: \"", spec_in, "\" is not a device (", kDeviceChoices, ")");
    if (!rest.empty()) {
      check(rest[0] == ':' && rest.size() > 1 && rest.size() < 4 && rest.find_first_not_of("0123456789", 1) == std::string::npos,
            "--device: \"", spec_in, "\" is not a device (", kDeviceChoices, ")");
      p.index = std::stoi(rest.substr(1));
    }
    check(backend_available(Device::CUDA), "--device ", spec_in,
          ": no usable CUDA GPU in this process (none found, no driver, compute capability below 8.0, or fluxgen "
          "was built without CUDA); use --device cpu");
  }
  p.device = Device::CUDA;
  Backend& gpu = backend_for(Device::CUDA);
  gpu.use_device(p.index);
  const DeviceMemory m = gpu.memory();
  const uint64_t free = m.free > kVramMargin ? m.free - kVramMargin : 0;
  p.vram_budget = budget_gib > 0 ? static_cast<uint64_t>(budget_gib * double(uint64_t(1) << 30)) : free;
  if (m.total) p.vram_budget = std::min<uint64_t>(p.vram_budget, m.total);
  check(p.vram_budget > 0, "--device ", spec_in, ": the GPU has no free memory (", format_bytes(m.free), " free)");
  gpu.set_memory_limit(p.vram_budget);
  return p;
}

}  // namespace fluxgen
