#include "cli/device_cli_options.h"

#include <cstdio>

namespace fluxgen::cli {

DevicePlacement DeviceCliOptions::resolve() const {
  DevicePlacement p = resolve_device(device, vram_budget_gib);
  // Said when a GPU is used; the CPU is what a machine without one always does.
  if (p.device != Device::CPU) std::fprintf(stderr, "fluxgen: running on %s\n", p.describe().c_str());
  return p;
}

void add_device_options(CLI::App* cmd, DeviceCliOptions& o) {
  cmd->add_option("--device", o.device,
                  "Where models run: auto (the GPU when a usable one is present, else the CPU), cpu, cuda, cuda:N")
      ->capture_default_str();
  cmd->add_option("--vram-budget", o.vram_budget_gib,
                  "GiB of GPU memory fluxgen may use (default: the free memory at start minus 0.75 GiB); transformer "
                  "blocks that do not fit stream from host memory")
      ->check(CLI::Range(0.0, 4096.0));
}

}  // namespace fluxgen::cli
