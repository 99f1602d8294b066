// Where models run: `--device auto|cpu|cuda[:N]` (CLI and server) resolved once into a device,
// and the VRAM budget (`--vram-budget GIB`) resolved against the card. `auto` takes the GPU when
// a usable one was found at start (backend_available) and the CPU otherwise.
#pragma once
#include <cstdint>
#include <string>

#include "tensor/tensor.h"

namespace fluxgen {

struct DevicePlacement {
  Device device = Device::CPU;
  int index = 0;
  uint64_t vram_budget = 0;  // bytes allocations may use on the device (0 on the CPU)
  std::string describe() const;  // "cuda:0 (NVIDIA H100, VRAM budget 76.2 GiB)" / "cpu"
};

// Accepted spellings of --device, for help texts and the error message.
inline constexpr const char* kDeviceChoices = "auto, cpu, cuda, cuda:N";

// `spec`: auto, cpu, cuda, cuda:N (also gpu, gpu:N). `budget_gib` <= 0: the device's free memory
// at start minus a margin (kVramMargin). Throws naming the flag when the spec is malformed or
// names a GPU this process has not got.
DevicePlacement resolve_device(const std::string& spec, double budget_gib = 0);

// Kept free below the card's free memory for the driver, cuBLAS and fragmentation.
inline constexpr uint64_t kVramMargin = uint64_t(768) << 20;

}  // namespace fluxgen
