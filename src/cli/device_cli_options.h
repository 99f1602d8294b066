// `--device auto|cpu|cuda[:N]` and `--vram-budget GIB`, the same on every command that runs a
// model (generate, upscale, detect, serve); resolved by pipeline/placement/device_choice.h.
#pragma once
#include <CLI/CLI.hpp>
#include <memory>
#include <string>

#include "pipeline/placement/device_choice.h"

namespace fluxgen::cli {

struct DeviceCliOptions {
  std::string device = "auto";
  double vram_budget_gib = 0;
  // Resolves the flags; prints the GPU and its budget when one is used (stderr).
  DevicePlacement resolve() const;
};

void add_device_options(CLI::App* cmd, DeviceCliOptions& o);

}  // namespace fluxgen::cli
