// Resizing NCHW float tensors: images between an upscaler and the VAE, and latents for Forge's
// "Latent" HiRes upscalers (torch.nn.functional.interpolate with the modes A1111 lists in
// shared.latent_upscale_modes), plus Pillow-exact Lanczos on float data (Pillow's "F" mode).
#pragma once
#include <cstdint>

#include "tensor/tensor.h"

namespace fluxgen::imaging {

enum class TensorResize {
  Nearest,            // torch "nearest": src = floor(dst · in/out)
  NearestExact,       // torch "nearest-exact": src = floor((dst + 0.5) · in/out)
  Bilinear,           // torch "bilinear", align_corners=False, antialias=False
  Bicubic,            // torch "bicubic" (A = -0.75), align_corners=False, antialias=False
  BilinearAntialias,  // torch "bilinear", antialias=True (= Pillow's BILINEAR)
  BicubicAntialias,   // torch "bicubic", antialias=True (= Pillow's BICUBIC, a = -0.5)
  Lanczos,            // Pillow's LANCZOS on float data
};

// x: [N, C, H, W] of any float dtype -> F32 [N, C, height, width]. The filters run horizontally
// first, then vertically, accumulating in double with an F32 intermediate (Pillow's float path).
Tensor resize_tensor(const Tensor& x, int64_t height, int64_t width, TensorResize mode);

}  // namespace fluxgen::imaging
