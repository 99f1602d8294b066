#include "pipeline/stage_context.h"

#include <algorithm>

#include "backend/ops.h"

namespace fluxgen {

Tensor encode_image(StageContext& ctx, const Image& image) {
  const Tensor pixels = ctx.models.to_model_device(image_to_tensor(to_rgb(image), PixelRange::MinusOneOne));
  return ctx.models.vae().encode_tiled(pixels, vae_tiling(ctx.models));
}

Image decode_latent(StageContext& ctx, const Tensor& latent) {
  // The image comes back to the host once, at the end of the stage.
  return tensor_to_image(ops::to_host(ctx.models.vae().decode_tiled(latent, vae_tiling(ctx.models))),
                         PixelRange::MinusOneOne);
}

vae::VaeTiling vae_tiling(ModelManager& models) {
  vae::VaeTiling t;
  if (models.device() == Device::CPU) return t;
  // On a device the autoencoder tiles as soon as a whole image's activations would not fit in
  // what the budget has left: its widest stages hold about six 128-channel maps per pixel.
  const DeviceMemory m = backend_for(models.device()).memory();
  const uint64_t limit = models.options().placement.vram_budget;
  const uint64_t free = limit > m.in_use ? limit - m.in_use : 0;
  const int act = static_cast<int>(dtype_storage_bytes(backend_for(models.device()).compute_dtype(), 1));
  const int64_t fit = static_cast<int64_t>(free / (6 * 128 * static_cast<uint64_t>(act)));
  t.max_untiled_pixels = std::min(t.max_untiled_pixels, std::max<int64_t>(fit, 0));
  return t;
}

}  // namespace fluxgen
