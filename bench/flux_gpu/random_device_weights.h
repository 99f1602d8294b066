// FLUX transformer weights of real shapes drawn at random directly on the GPU, in a storage dtype:
// what bench/flux_gpu loads instead of a 24 GB checkpoint. Block linear weights are in the chosen
// storage dtype (as --storage converts them), everything else in bf16 (as FLUX.1-dev's file has
// it). Distributions follow random_flux_weights (flux_parameters.h): linear weights N(0, 1/in),
// biases N(0, 0.02²), norm scales 1 + N(0, 0.02²); the random stream is a counter-based hash, so
// no fp32 copy of the model ever exists and generating 12B parameters takes a fraction of a second.
#pragma once
#include <map>
#include <memory>
#include <string>

#include "io/tensor_store.h"
#include "models/flux/flux_config.h"

namespace fluxgen::bench {

class RandomDeviceFluxStore final : public TensorStore {
 public:
  RandomDeviceFluxStore(const flux::FluxConfig& config, DType block_linear_dtype, uint64_t seed);
  std::vector<std::string> names() const override;
  bool contains(const std::string& name) const override { return shapes_.count(name) > 0; }
  // Generates the tensor on the device (every call draws it anew: wrap in a DeviceWeightStore).
  Tensor get(const std::string& name) const override;
  Shape shape(const std::string& name) const override;
  DType dtype(const std::string& name) const override;
  std::string source() const override { return "random FLUX weights on the GPU"; }
  std::string metadata(const std::string& key) const override { return key == "config" ? config_json_ : ""; }

 private:
  std::map<std::string, Shape> shapes_;
  DType block_dtype_;
  uint64_t seed_;
  std::string config_json_;
};

}  // namespace fluxgen::bench
