#include "random_host_flux_store.h"

#include <cmath>
#include <functional>
#include <random>

#include "models/flux/flux_parameters.h"
#include "tensor/float_codecs.h"
#include "util/error.h"
#include "util/map_keys.h"
#include "util/strings.h"

namespace fluxgen::bench {

namespace {
uint64_t splitmix64(uint64_t x) {
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}
// Four 16-bit uniforms summed (Irwin-Hall): mean 2, variance 4/12, rescaled to N(0, 1) closely
// enough for timing and quantization statistics.
float standard_normal_ish(uint64_t counter) {
  const uint64_t h = splitmix64(counter);
  const float u = static_cast<float>((h & 0xFFFF) + ((h >> 16) & 0xFFFF) + ((h >> 32) & 0xFFFF) + (h >> 48)) / 65536.0f;
  return (u - 2.0f) * 1.7320508f;
}
}  // namespace

Tensor random_host(const Shape& shape, uint64_t seed) {
  Tensor t = Tensor::empty(shape);
  std::mt19937_64 rng(seed);
  std::normal_distribution<float> dist(0.0f, 1.0f);
  for (int64_t i = 0; i < t.numel(); ++i) t.f32()[i] = dist(rng);
  return t;
}

RandomHostFluxStore::RandomHostFluxStore(const flux::FluxConfig& config, uint64_t seed)
    : shapes_(flux::flux_parameter_shapes(config)), seed_(seed), config_json_(config.to_json().dump()) {}

std::vector<std::string> RandomHostFluxStore::names() const { return map_keys(shapes_); }

Shape RandomHostFluxStore::shape(const std::string& name) const {
  auto it = shapes_.find(name);
  check(it != shapes_.end(), source(), ": no tensor ", name);
  return it->second;
}

Tensor RandomHostFluxStore::get(const std::string& name) const {
  const Shape s = shape(name);
  const int64_t n = shape_numel(s);
  const auto [mean, std] = flux::random_init(name, s);
  const uint64_t base = splitmix64(seed_ ^ (std::hash<std::string>{}(name) * 0x9E3779B97F4A7C15ull));
  Tensor t = Tensor::empty(s, DType::BF16);
  uint16_t* out = t.data<uint16_t>();
#pragma omp parallel for schedule(static) if (n > 65536)
  for (int64_t i = 0; i < n; ++i) out[i] = f32_to_bf16(mean + std * standard_normal_ish(base + static_cast<uint64_t>(i)));
  return t;
}

}  // namespace fluxgen::bench
