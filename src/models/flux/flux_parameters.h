// Every parameter of a FLUX transformer in BFL names with its shape, derived from a configuration.
// Used to build random-weight models for benchmarks (real FLUX.1-dev shapes without the 24 GB
// file) and to check checkpoints for completeness.
#pragma once
#include <map>
#include <memory>
#include <string>

#include "io/tensor_store.h"
#include "models/flux/flux_config.h"

namespace fluxgen::flux {

std::map<std::string, Shape> flux_parameter_shapes(const FluxConfig& c);

// The distribution random weights are drawn from, by name and shape: linear weights N(0, 1/in),
// norm scales 1 + N(0, 0.02²), biases and everything else N(0, 0.02²). One rule for every
// random-weight store (this file's, the benchmarks' host and device ones).
struct RandomInit {
  float mean = 0.0f;
  float std = 0.02f;
};
RandomInit random_init(const std::string& name, const Shape& shape);

// A store holding random weights of those shapes in `dtype` (linear weights ~ N(0, 1/in), biases
// and norm scales small), with the configuration in its metadata. Deterministic for a seed.
std::shared_ptr<MemoryStore> random_flux_weights(const FluxConfig& c, DType dtype, uint64_t seed);

}  // namespace fluxgen::flux
