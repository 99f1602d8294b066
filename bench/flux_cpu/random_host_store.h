// Weights of real shapes drawn at random on the host, each tensor anew when it is read: what the
// benchmarks load instead of a checkpoint (FLUX for bench/flux_cpu, every model of the pipeline for
// bench/random_models). Tensors come out in a file's dtype (bf16 for FLUX.1-dev), so `--storage`
// converts them at load exactly as it converts a real file, and no copy of the whole model exists
// beside the converted one (the peak memory of a load is the converted weights plus one tensor).
// Distributions as random_flux_weights (flux_parameters.h): linear weights ~ N(0, 1/in),
// convolutions ~ N(0, 1/fan-in), biases ~ N(0, 0.02²), norm scales 1 + N(0, 0.02²), approximated
// by a sum of uniforms from a counter-based hash so drawing a billion values takes about a second.
#pragma once
#include <map>
#include <memory>
#include <string>

#include "io/tensor_store.h"
#include "models/flux/flux_config.h"

namespace fluxgen::bench {

// A host F32 tensor of N(0, 1) values from a seeded mt19937_64 (benchmark inputs: latents, text
// states, noise).
Tensor random_host(const Shape& shape, uint64_t seed);

class RandomHostStore final : public TensorStore {
 public:
  RandomHostStore(std::map<std::string, Shape> shapes, DType dtype, uint64_t seed, std::string source,
                  std::map<std::string, std::string> metadata = {});
  std::vector<std::string> names() const override;
  bool contains(const std::string& name) const override { return shapes_.count(name) > 0; }
  Tensor get(const std::string& name) const override;
  Shape shape(const std::string& name) const override;
  DType dtype(const std::string&) const override { return dtype_; }
  std::string source() const override { return source_; }
  std::string metadata(const std::string& key) const override;

 private:
  std::map<std::string, Shape> shapes_;
  DType dtype_;
  uint64_t seed_;
  std::string source_;
  std::map<std::string, std::string> metadata_;
};

// Writes every tensor of `store` to a safetensors file, one tensor in memory at a time, with
// `metadata_keys`' values from the store.
void write_store(const std::string& path, const TensorStore& store, const std::vector<std::string>& metadata_keys);

// Adds a kohya-named LoRA pair for the FLUX weight `weight_name` ("double_blocks.0.img_attn.qkv.weight")
// to `lora`: lora_unet_<module>.lora_down/.lora_up in bf16 and .alpha = rank (scale 1).
void put_kohya_lora(MemoryStore& lora, const std::string& weight_name, const Tensor& down, const Tensor& up);

// FLUX transformer weights in bf16, its configuration in the metadata as a checkpoint carries it.
std::shared_ptr<RandomHostStore> random_host_flux_store(const flux::FluxConfig& config, uint64_t seed);

}  // namespace fluxgen::bench
