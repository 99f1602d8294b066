// The FLUX autoencoder's hyper-parameters (BFL's AutoEncoderParams), inferred from shapes with the
// latent scale/shift from the file's metadata config when present (FLUX's 0.3611/0.1159 otherwise).
#pragma once
#include <optional>
#include <string>
#include <vector>

#include "io/tensor_store.h"

namespace fluxgen::vae {

struct VaeConfig {
  int64_t in_channels = 3;
  int64_t out_channels = 3;
  int64_t ch = 128;
  std::vector<int64_t> ch_mult = {1, 2, 4, 4};
  int64_t num_res_blocks = 2;
  int64_t z_channels = 16;
  double scale_factor = 0.3611;
  double shift_factor = 0.1159;
  bool has_encoder = true;

  // Image pixels per latent pixel: 2^(levels - 1).
  int64_t downscale() const { return int64_t(1) << (ch_mult.size() - 1); }
};

enum class VaeLayout { BFL, Diffusers };

struct VaeDetection {
  VaeLayout layout;
  std::string prefix;  // "", "vae.", "first_stage_model." ...
};

std::optional<VaeDetection> detect_vae(const TensorStore& store);
VaeConfig infer_vae_config(const TensorStore& store, const VaeDetection& where);

}  // namespace fluxgen::vae
