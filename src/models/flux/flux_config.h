// FLUX transformer hyper-parameters (BFL's FluxParams), the layout a checkpoint uses, and their
// inference from tensor names and shapes. axes_dim cannot be inferred from shapes: it comes from
// a JSON `config` in the file's metadata, a --model-config file, or FLUX.1's [16, 56, 56] scaled
// to the head dimension.
#pragma once
#include <optional>
#include <string>
#include <vector>

#include "io/json.h"
#include "io/tensor_store.h"

namespace fluxgen::flux {

struct FluxConfig {
  int64_t in_channels = 64;
  int64_t out_channels = 64;
  int64_t vec_in_dim = 768;
  int64_t context_in_dim = 4096;
  int64_t hidden_size = 3072;
  double mlp_ratio = 4.0;
  int64_t num_heads = 24;
  int64_t depth = 19;
  int64_t depth_single_blocks = 38;
  std::vector<int64_t> axes_dim = {16, 56, 56};
  double theta = 10000.0;
  bool qkv_bias = true;
  bool guidance_embed = true;

  int64_t head_dim() const { return hidden_size / num_heads; }
  int64_t mlp_hidden() const { return static_cast<int64_t>(static_cast<double>(hidden_size) * mlp_ratio); }
  // Overrides the fields present in a FluxParams-style JSON object; throws on wrong types.
  void apply_json(const json::Value& v);
  json::Value to_json() const;
  // Throws when the numbers are inconsistent (heads not dividing hidden, axes not summing to the head dim).
  void validate(const std::string& source) const;
};

enum class FluxLayout { BFL, Diffusers };

struct FluxDetection {
  FluxLayout layout;
  std::string prefix;  // "" or e.g. "model.diffusion_model."
};

// Finds a FLUX transformer in the store (any prefix), or nullopt.
std::optional<FluxDetection> detect_flux(const TensorStore& store);
// Infers the configuration from shapes; then applies the store's metadata `config` (when it is a
// FluxParams object) and finally `override_json` (a --model-config file's contents) if given.
FluxConfig infer_flux_config(const TensorStore& store, const FluxDetection& where,
                             const json::Value* override_json = nullptr);

}  // namespace fluxgen::flux
