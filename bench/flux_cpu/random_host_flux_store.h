// FLUX transformer weights of real shapes drawn at random on the host, each tensor anew when it is
// read: what bench/flux_cpu loads instead of a checkpoint. Tensors come out in bf16 (FLUX.1-dev's
// file dtype), so `--storage` converts them at load exactly as it converts a real file, and no
// copy of the whole model exists beside the converted one (the peak memory of a load is the
// converted weights plus one tensor). Distributions as random_flux_weights (flux_parameters.h):
// linear weights ~ N(0, 1/in), biases ~ N(0, 0.02²), norm scales 1 + N(0, 0.02²), approximated by
// a sum of uniforms from a counter-based hash so drawing a billion values takes about a second.
#pragma once
#include <map>
#include <string>

#include "io/tensor_store.h"
#include "models/flux/flux_config.h"

namespace fluxgen::bench {

// A host F32 tensor of N(0, 1) values from a seeded mt19937_64 (benchmark inputs: latents, text
// states, noise).
Tensor random_host(const Shape& shape, uint64_t seed);

class RandomHostFluxStore final : public TensorStore {
 public:
  RandomHostFluxStore(const flux::FluxConfig& config, uint64_t seed);
  std::vector<std::string> names() const override;
  bool contains(const std::string& name) const override { return shapes_.count(name) > 0; }
  Tensor get(const std::string& name) const override;
  Shape shape(const std::string& name) const override;
  DType dtype(const std::string&) const override { return DType::BF16; }
  std::string source() const override { return "random FLUX weights on the host"; }
  std::string metadata(const std::string& key) const override { return key == "config" ? config_json_ : ""; }

 private:
  std::map<std::string, Shape> shapes_;
  uint64_t seed_;
  std::string config_json_;
};

}  // namespace fluxgen::bench
