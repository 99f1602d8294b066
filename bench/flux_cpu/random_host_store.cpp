#include "random_host_store.h"

#include <cmath>
#include <functional>
#include <random>

#include "io/safetensors.h"
#include "models/flux/flux_parameters.h"
#include "tensor/convert.h"
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
// flux::random_init for matrices (N(0, 1/in)) and norm scales; convolutions N(0, 1/fan-in); norm
// weights of other models (named "...norm....weight") around 1.
flux::RandomInit init_for(const std::string& name, const Shape& s) {
  flux::RandomInit r = flux::random_init(name, s);
  if (s.size() == 4) r.std = 1.0f / std::sqrt(static_cast<float>(s[1] * s[2] * s[3]));
  if (s.size() == 1 && name.find("norm") != std::string::npos && ends_with(name, ".weight")) r.mean = 1.0f;
  return r;
}

}  // namespace

Tensor random_host(const Shape& shape, uint64_t seed) {
  Tensor t = Tensor::empty(shape);
  std::mt19937_64 rng(seed);
  std::normal_distribution<float> dist(0.0f, 1.0f);
  for (int64_t i = 0; i < t.numel(); ++i) t.f32()[i] = dist(rng);
  return t;
}

RandomHostStore::RandomHostStore(std::map<std::string, Shape> shapes, DType dtype, uint64_t seed, std::string source,
                                 std::map<std::string, std::string> metadata)
    : shapes_(std::move(shapes)), dtype_(dtype), seed_(seed), source_(std::move(source)), metadata_(std::move(metadata)) {}

std::vector<std::string> RandomHostStore::names() const { return map_keys(shapes_); }

Shape RandomHostStore::shape(const std::string& name) const {
  auto it = shapes_.find(name);
  check(it != shapes_.end(), source(), ": no tensor ", name);
  return it->second;
}

std::string RandomHostStore::metadata(const std::string& key) const {
  auto it = metadata_.find(key);
  return it == metadata_.end() ? "" : it->second;
}

Tensor RandomHostStore::get(const std::string& name) const {
  const Shape s = shape(name);
  const int64_t n = shape_numel(s);
  const auto [mean, std] = init_for(name, s);
  const uint64_t base = splitmix64(seed_ ^ (std::hash<std::string>{}(name) * 0x9E3779B97F4A7C15ull));
  if (dtype_ == DType::BF16) {
    Tensor t = Tensor::empty(s, DType::BF16);
    uint16_t* out = t.data<uint16_t>();
#pragma omp parallel for schedule(static) if (n > 65536)
    for (int64_t i = 0; i < n; ++i) out[i] = f32_to_bf16(mean + std * standard_normal_ish(base + static_cast<uint64_t>(i)));
    return t;
  }
  Tensor t = Tensor::empty(s);
  float* out = t.f32();
#pragma omp parallel for schedule(static) if (n > 65536)
  for (int64_t i = 0; i < n; ++i) out[i] = mean + std * standard_normal_ish(base + static_cast<uint64_t>(i));
  return dtype_ == DType::F32 ? t : convert(t, dtype_, Overflow::Saturate);
}

void write_store(const std::string& path, const TensorStore& store, const std::vector<std::string>& metadata_keys) {
  std::vector<TensorSpec> specs;
  for (const auto& name : store.names()) specs.push_back({name, store.dtype(name), store.shape(name)});
  std::map<std::string, std::string> metadata;
  for (const auto& key : metadata_keys)
    if (!store.metadata(key).empty()) metadata[key] = store.metadata(key);
  write_safetensors(path, specs, [&](size_t i) { return store.get(specs[i].name); }, metadata);
}

std::shared_ptr<RandomHostStore> random_host_flux_store(const flux::FluxConfig& config, uint64_t seed) {
  return std::make_shared<RandomHostStore>(flux::flux_parameter_shapes(config), DType::BF16, seed,
                                           "random FLUX weights on the host",
                                           std::map<std::string, std::string>{{"config", config.to_json().dump()}});
}

void put_kohya_lora(MemoryStore& lora, const std::string& weight_name, const Tensor& down, const Tensor& up) {
  std::string key = "lora_unet_" + weight_name.substr(0, weight_name.size() - std::string(".weight").size());
  for (char& ch : key)
    if (ch == '.') ch = '_';
  lora.put(key + ".lora_down.weight", convert(down, DType::BF16));
  lora.put(key + ".lora_up.weight", convert(up, DType::BF16));
  lora.put(key + ".alpha", Tensor::full({}, static_cast<float>(down.shape()[0])));
}

}  // namespace fluxgen::bench
