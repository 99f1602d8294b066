// Command-line options shared by the commands that load a FLUX transformer (eval flux,
// eval flux-sample, generate): --weights, --storage, --model-config, and reading the fixture
// IO tensors that feed one forward.
#pragma once
#include <CLI/CLI.hpp>
#include <memory>
#include <string>
#include <vector>

#include "io/safetensors.h"
#include "models/flux/flux_model.h"

namespace fluxgen::cli {

struct FluxEvalOptions {
  std::string weights;
  std::string storage = "auto";
  std::string model_config;
  std::vector<std::string> loras;  // FILE:MULT
  std::string lora_mode;           // "" = from the storage label, or merged|online
  std::string inputs;
  std::string output;
};

void add_flux_model_options(CLI::App& cmd, FluxEvalOptions& opt);
// Loads the transformer per the options, reporting the weights' bytes per dtype on stderr.
std::unique_ptr<flux::FluxModel> load_flux_for_eval(const FluxEvalOptions& opt);

}  // namespace fluxgen::cli
