// Every parameter of FLUX's autoencoder in BFL's names (ae.safetensors), with its shape, from a
// configuration: a random-weight autoencoder of real size for benchmarks.
#pragma once
#include <map>
#include <string>

#include "models/vae/vae_config.h"

namespace fluxgen::vae {

std::map<std::string, Shape> vae_parameter_shapes(const VaeConfig& c);

}  // namespace fluxgen::vae
