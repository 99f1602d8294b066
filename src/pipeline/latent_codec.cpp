#include "pipeline/latent_codec.h"

#include <algorithm>

#include "backend/backend.h"
#include "backend/ops.h"

namespace fluxgen {

Tensor LatentCodec::encode(const Image& image) const {
  const Tensor pixels = ops::to_device(image_to_tensor(to_rgb(image), PixelRange::MinusOneOne), device_);
  return vae_.encode_tiled(pixels, tiling());
}

Image LatentCodec::decode(const Tensor& latent) const {
  // The image comes back to the host once, at the end of the stage.
  return tensor_to_image(ops::to_host(vae_.decode_tiled(latent, tiling())), PixelRange::MinusOneOne);
}

vae::VaeTiling LatentCodec::tiling() const {
  vae::VaeTiling t;
  if (device_ == Device::CPU) return t;
  // The autoencoder's widest stages hold about six 128-channel maps per pixel.
  const DeviceMemory m = backend_for(device_).memory();
  const uint64_t free = vram_budget_ > m.in_use ? vram_budget_ - m.in_use : 0;
  const int act = static_cast<int>(dtype_storage_bytes(backend_for(device_).compute_dtype(), 1));
  const int64_t fit = static_cast<int64_t>(free / (6 * 128 * static_cast<uint64_t>(act)));
  t.max_untiled_pixels = std::min(t.max_untiled_pixels, std::max<int64_t>(fit, 0));
  return t;
}

}  // namespace fluxgen
