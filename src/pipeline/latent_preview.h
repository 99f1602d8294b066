// "Approx cheap" live previews: each latent pixel's 16 FLUX channels mapped linearly to RGB, one
// preview pixel per latent pixel (1/8 of the image size). Costs nothing next to a model step, so
// previews work where no TAEF1 decoder is installed.
#pragma once
#include "io/image/image.h"
#include "tensor/tensor.h"

namespace fluxgen {

// latent: [16, h, w] or [N, 16, h, w] (the first item is shown) in the transformer's latent space
// (the VAE latent scaled and shifted, what the sampler holds and what TAEF1 decodes). RGB = factors
// · latent + bias, then (x + 1) / 2 clamped to [0, 1] and truncated to 0..255 as ComfyUI's
// preview_to_image does.
Image latent_to_rgb_preview(const Tensor& latent);

}  // namespace fluxgen
