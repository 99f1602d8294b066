#include "models/flux/latent_packing.h"

#include "backend/ops.h"
#include "util/error.h"

namespace fluxgen::flux {

Tensor pack_latent(const Tensor& latent) {
  check(latent.ndim() == 4 && latent.dim(2) % 2 == 0 && latent.dim(3) % 2 == 0,
        "FLUX latent must be [B, C, H, W] with even H and W, got ", latent.describe());
  const int64_t B = latent.dim(0), C = latent.dim(1), H = latent.dim(2), W = latent.dim(3);
  // [B, C, h, 2, w, 2] -> [B, h, w, C, 2, 2]
  return ops::permute(latent.reshape({B, C, H / 2, 2, W / 2, 2}), {0, 2, 4, 1, 3, 5}).reshape({B, (H / 2) * (W / 2), C * 4});
}

Tensor unpack_latent(const Tensor& tokens, int64_t height, int64_t width) {
  check(tokens.ndim() == 3 && height % 2 == 0 && width % 2 == 0 && tokens.dim(1) == (height / 2) * (width / 2) &&
            tokens.dim(2) % 4 == 0,
        "FLUX tokens ", tokens.describe(), " do not match a ", height, "x", width, " latent");
  const int64_t B = tokens.dim(0), C = tokens.dim(2) / 4;
  return ops::permute(tokens.reshape({B, height / 2, width / 2, C, 2, 2}), {0, 3, 1, 4, 2, 5}).reshape({B, C, height, width});
}

Tensor image_ids(int64_t batch, int64_t latent_height, int64_t latent_width) {
  const int64_t h = latent_height / 2, w = latent_width / 2;
  Tensor ids = Tensor::zeros({batch, h * w, 3});
  float* p = ids.f32();
  for (int64_t b = 0; b < batch; ++b)
    for (int64_t r = 0; r < h; ++r)
      for (int64_t c = 0; c < w; ++c) {
        float* row = p + ((b * h + r) * w + c) * 3;
        row[1] = static_cast<float>(r);
        row[2] = static_cast<float>(c);
      }
  return ids;
}

Tensor text_ids(int64_t batch, int64_t tokens) { return Tensor::zeros({batch, tokens, 3}); }

}  // namespace fluxgen::flux
