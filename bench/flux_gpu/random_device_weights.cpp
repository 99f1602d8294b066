#include "random_device_weights.h"

#include <cmath>
#include <functional>

#include "backend/cuda/device_tensors.h"
#include "fill_normal.h"
#include "models/flux/flux_parameters.h"
#include "util/error.h"
#include "util/strings.h"

namespace fluxgen::bench {

RandomDeviceFluxStore::RandomDeviceFluxStore(const flux::FluxConfig& config, DType block_linear_dtype, uint64_t seed)
    : shapes_(flux::flux_parameter_shapes(config)),
      block_dtype_(block_linear_dtype),
      seed_(seed),
      config_json_(config.to_json().dump()) {}

std::vector<std::string> RandomDeviceFluxStore::names() const {
  std::vector<std::string> n;
  for (const auto& [name, shape] : shapes_) n.push_back(name);
  return n;
}

Shape RandomDeviceFluxStore::shape(const std::string& name) const {
  auto it = shapes_.find(name);
  check(it != shapes_.end(), source(), ": no tensor ", name);
  return it->second;
}

DType RandomDeviceFluxStore::dtype(const std::string& name) const {
  const bool block_linear = (starts_with(name, "double_blocks.") || starts_with(name, "single_blocks.")) &&
                            shape(name).size() == 2;
  return block_linear ? block_dtype_ : DType::BF16;
}

Tensor RandomDeviceFluxStore::get(const std::string& name) const {
  const Shape s = shape(name);
  const int64_t n = shape_numel(s);
  const auto [mean, std] = flux::random_init(name, s);
  const uint64_t seed = seed_ ^ (std::hash<std::string>{}(name) * 0x9E3779B97F4A7C15ull);
  const DType target = dtype(name);
  const DType drawn = target == DType::BF16 ? DType::BF16 : DType::F32;
  Tensor values = cuda::device_empty(s, drawn);
  fill_normal_on_device(seed, n, mean, std, drawn, values.raw_data());
  return target == drawn ? values : cuda::encode_on_device(values, target);
}

}  // namespace fluxgen::bench
