#include "models/vae/autoencoder.h"

#include "models/vae/diffusers_vae_layout.h"
#include "util/error.h"

namespace fluxgen::vae {

std::unique_ptr<AutoEncoder> AutoEncoder::load(std::shared_ptr<const TensorStore> store) {
  const auto where = detect_vae(*store);
  if (!where) fail(store->source(), ": no autoencoder found (expected keys like decoder.conv_in.weight)");
  auto ae = std::unique_ptr<AutoEncoder>(new AutoEncoder());
  ae->config_ = infer_vae_config(*store, *where);
  const VaeConfig& c = ae->config_;
  if (c.z_channels != 16)
    fail(store->source(), ": this autoencoder has ", c.z_channels,
         " latent channels; FLUX needs its 16-channel autoencoder (ae.safetensors)");
  const Weights w = where->layout == VaeLayout::BFL ? Weights(store, where->prefix)
                                                    : Weights(diffusers_vae_as_bfl(store, where->prefix, c), "");
  if (c.has_encoder) ae->encoder_ = Encoder(w.sub("encoder"), c);
  ae->decoder_ = Decoder(w.sub("decoder"), c);
  return ae;
}

Tensor AutoEncoder::encode(const Tensor& image) const {
  check(encoder_.has_value(), "this autoencoder file has no encoder (decoder only); img2img and HiRes.fix need one");
  check(image.ndim() == 4 && image.dim(1) == config_.in_channels, "autoencoder: image must be [B, ",
        config_.in_channels, ", H, W], got ", image.describe());
  const int64_t f = config_.downscale();
  check(image.dim(2) % f == 0 && image.dim(3) % f == 0, "autoencoder: image size ", image.dim(3), "x", image.dim(2),
        " is not a multiple of ", f);
  const Tensor moments = encoder_->forward(image);
  const Tensor mean = ops::slice(moments, 1, 0, config_.z_channels);
  const float s = static_cast<float>(config_.scale_factor);
  return ops::affine(mean, s, -s * static_cast<float>(config_.shift_factor));
}

Tensor AutoEncoder::decode(const Tensor& latent) const {
  check(latent.ndim() == 4 && latent.dim(1) == config_.z_channels, "autoencoder: latent must be [B, ",
        config_.z_channels, ", h, w], got ", latent.describe());
  const float inv = static_cast<float>(1.0 / config_.scale_factor);
  return decoder_.forward(ops::affine(latent, inv, static_cast<float>(config_.shift_factor)));
}

Tensor AutoEncoder::encode_tiled(const Tensor& image, const VaeTiling& t, bool force,
                                 const std::function<void(int, int)>& progress) const {
  if (!force && image.dim(2) * image.dim(3) <= t.max_untiled_pixels) return encode(image);
  const int64_t f = config_.downscale();
  return tiled_apply(image, TileSpec{t.tile_latent * f, t.overlap_latent * f}, 1, f,
                     [this](const Tensor& x) { return encode(x); }, progress);
}

Tensor AutoEncoder::decode_tiled(const Tensor& latent, const VaeTiling& t, bool force,
                                 const std::function<void(int, int)>& progress) const {
  const int64_t f = config_.downscale();
  if (!force && latent.dim(2) * latent.dim(3) * f * f <= t.max_untiled_pixels) return decode(latent);
  return tiled_apply(latent, TileSpec{t.tile_latent, t.overlap_latent}, f, 1,
                     [this](const Tensor& z) { return decode(z); }, progress);
}

}  // namespace fluxgen::vae
