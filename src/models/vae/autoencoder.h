// The FLUX autoencoder (BFL's AutoEncoder; also the diffusers AutoencoderKL layout and the
// prefixes all-in-one checkpoints use): encode = the Gaussian's mean, scaled and shifted
// (scale·(mean − shift)); decode(z) = decoder(z/scale + shift). Large images go through tiles.
#pragma once
#include <functional>
#include <memory>

#include "models/tiling.h"
#include "models/vae/encoder_decoder.h"

namespace fluxgen::vae {

struct VaeTiling {
  // Images up to this many pixels (width × height) are processed whole; larger ones in tiles.
  int64_t max_untiled_pixels = 1024 * 1024;
  int64_t tile_latent = 64;     // tile size in latent pixels (×8 in image pixels for FLUX)
  int64_t overlap_latent = 16;  // overlap in latent pixels
};

class AutoEncoder {
 public:
  static std::unique_ptr<AutoEncoder> load(std::shared_ptr<const TensorStore> store);

  // image [B, 3, H, W] in [-1, 1] -> latent [B, z, H/f, W/f], scaled and shifted for FLUX.
  Tensor encode(const Tensor& image) const;
  // latent (scaled) -> image in about [-1, 1] (not clamped).
  Tensor decode(const Tensor& latent) const;
  // The same through tiles when the image is large (or always, with force).
  Tensor encode_tiled(const Tensor& image, const VaeTiling& t = {}, bool force = false,
                      const std::function<void(int, int)>& progress = nullptr) const;
  Tensor decode_tiled(const Tensor& latent, const VaeTiling& t = {}, bool force = false,
                      const std::function<void(int, int)>& progress = nullptr) const;

  const VaeConfig& config() const { return config_; }

 private:
  VaeConfig config_;
  std::optional<Encoder> encoder_;
  Decoder decoder_;
};

}  // namespace fluxgen::vae
