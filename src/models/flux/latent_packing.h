// FLUX sees the 16-channel latent as tokens of 2×2 patches: "b c (h ph) (w pw) -> b (h w) (c ph pw)",
// with image position ids (0, row, col) per patch and all-zero text ids.
#pragma once
#include "tensor/tensor.h"

namespace fluxgen::flux {

Tensor pack_latent(const Tensor& latent);                       // [B, C, H, W] -> [B, H/2·W/2, 4C]
Tensor unpack_latent(const Tensor& tokens, int64_t height, int64_t width);  // inverse; height/width of the latent
Tensor image_ids(int64_t batch, int64_t latent_height, int64_t latent_width);  // [B, H/2·W/2, 3]
Tensor text_ids(int64_t batch, int64_t tokens);                              // [B, T, 3] zeros

}  // namespace fluxgen::flux
