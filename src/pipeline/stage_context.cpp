#include "pipeline/stage_context.h"

namespace fluxgen {

Tensor encode_image(StageContext& ctx, const Image& image) {
  return ctx.models.vae().encode_tiled(image_to_tensor(to_rgb(image), PixelRange::MinusOneOne));
}

Image decode_latent(StageContext& ctx, const Tensor& latent) {
  return tensor_to_image(ctx.models.vae().decode_tiled(latent), PixelRange::MinusOneOne);
}

}  // namespace fluxgen
