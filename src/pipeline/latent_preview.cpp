#include "pipeline/latent_preview.h"

#include "backend/ops.h"

#include <algorithm>

#include "tensor/convert.h"
#include "util/error.h"

namespace fluxgen {

namespace {

// Published least-squares fits from FLUX latents to RGB: ComfyUI's comfy/latent_formats.py, class
// Flux, latent_rgb_factors (rows = latent channels, columns = R, G, B) and latent_rgb_factors_bias
// (GPL-3.0 project; these numbers are measured facts about the FLUX autoencoder, not code).
constexpr float kFluxLatentRgbFactors[16][3] = {
    {-0.0346f, 0.0244f, 0.0681f},  {0.0034f, 0.0210f, 0.0687f},   {0.0275f, -0.0668f, -0.0433f},
    {-0.0174f, 0.0160f, 0.0617f},  {0.0859f, 0.0721f, 0.0329f},   {0.0004f, 0.0383f, 0.0115f},
    {0.0405f, 0.0861f, 0.0915f},   {-0.0236f, -0.0185f, -0.0259f}, {-0.0245f, 0.0250f, 0.1180f},
    {0.1008f, 0.0755f, -0.0421f},  {-0.0515f, 0.0201f, 0.0011f},  {0.0428f, -0.0012f, -0.0036f},
    {0.0817f, 0.0765f, 0.0749f},   {-0.1264f, -0.0522f, -0.1103f}, {-0.0280f, -0.0881f, -0.0499f},
    {-0.1262f, -0.0982f, -0.0778f},
};
constexpr float kFluxLatentRgbBias[3] = {-0.0329f, -0.0718f, -0.0851f};

}  // namespace

Image latent_to_rgb_preview(const Tensor& latent_in) {
  const Tensor latent = ops::to_host(latent_in);  // F32 on the host, wherever sampling runs
  const bool batched = latent.ndim() == 4;
  check((latent.ndim() == 3 || (batched && latent.dim(0) >= 1)) && latent.dim(-3) == 16,
        "latent preview: expected a FLUX latent [16, h, w] or [N, 16, h, w], got ", latent.describe());
  const int64_t h = latent.dim(-2), w = latent.dim(-1);
  check_image_size(w, h, "latent preview");
  Image out(static_cast<int>(w), static_cast<int>(h), 3);
  const float* src = latent.f32();  // the first batch item is at the start
  const int64_t hw = h * w;
  for (int64_t i = 0; i < hw; ++i) {
    for (int c = 0; c < 3; ++c) {
      float v = kFluxLatentRgbBias[c];
      for (int k = 0; k < 16; ++k) v += kFluxLatentRgbFactors[k][c] * src[k * hw + i];
      v = (v + 1.0f) / 2.0f;
      v = v > 0.0f ? std::min(v, 1.0f) : 0.0f;  // NaN -> 0
      out.pixels[i * 3 + c] = static_cast<uint8_t>(v * 255.0f);
    }
  }
  return out;
}

}  // namespace fluxgen
