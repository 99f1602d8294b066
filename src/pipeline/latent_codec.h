// The autoencoder as the generation stages use it: an image in, a latent out and back, tiled as the
// placement requires. Built by the generator from the loaded autoencoder and the placement, so a
// stage gets this and not the model manager.
#pragma once
#include <cstdint>

#include "tensor/tensor.h"
#include "io/image/image.h"
#include "models/vae/autoencoder.h"

namespace fluxgen {

class LatentCodec {
 public:
  // `vram_budget`: the placement's limit on a device (what the tiling rule leaves room within).
  LatentCodec(const vae::AutoEncoder& vae, Device device, uint64_t vram_budget)
      : vae_(vae), device_(device), vram_budget_(vram_budget) {}

  // RGB image -> scaled latent [1, 16, h, w], on the models' device.
  Tensor encode(const Image& image) const;
  // latent [1, 16, h, w] -> RGB image, back on the host.
  Image decode(const Tensor& latent) const;
  // Image pixels per latent pixel (8 for FLUX's autoencoder), and the latent's channels.
  int64_t factor() const { return vae_.config().downscale(); }
  int64_t channels() const { return vae_.config().z_channels; }
  // The CPU's default tiling; on a device, tiled whenever a whole image would not fit in what the
  // VRAM budget has left.
  vae::VaeTiling tiling() const;

 private:
  const vae::AutoEncoder& vae_;
  Device device_;
  uint64_t vram_budget_;
};

}  // namespace fluxgen
