#include "models/taesd/taesd.h"

#include "backend/ops.h"
#include "io/tensor_store.h"
#include "tensor/convert.h"
#include "util/error.h"
#include "util/strings.h"

namespace fluxgen {

namespace {

// A 3x3 (or 1x1) convolution with "same" padding, its weights converted to fp32 once at load on
// the CPU (TAEF1 ships bf16) so every forward computes in fp32 without converting again.
nn::Conv2d conv(const Weights& w, int64_t in, int64_t out, int64_t kernel, int stride, bool bias) {
  const Shape s = w.shape("weight");
  check(s.size() == 4 && s[0] == out && s[1] == in && s[2] == kernel && s[3] == kernel, w.store().source(),
        ": tensor ", w.key("weight"), " has shape ", shape_string(s), ", expected ",
        shape_string({out, in, kernel, kernel}));
  check(bias || !w.has("bias"), w.store().source(), ": unexpected tensor ", w.key("bias"),
        " (this convolution has no bias in TAESD)");
  std::optional<Tensor> b;
  if (bias) b = ops::to_compute(w.get("bias", {out}));
  return nn::Conv2d(ops::to_compute(w.get("weight")), std::move(b), stride, static_cast<int>(kernel / 2));
}

constexpr int64_t kWidth = 64;  // TAESD's feature channels

}  // namespace

namespace taesd {

Block::Block(const Weights& w, int64_t in, int64_t out)
    : conv0_(conv(w.sub("conv").sub(0), in, out, 3, 1, true)),
      conv2_(conv(w.sub("conv").sub(2), out, out, 3, 1, true)),
      conv4_(conv(w.sub("conv").sub(4), out, out, 3, 1, true)) {
  if (in != out) skip_ = conv(w.sub("skip"), in, out, 1, 1, false);
}

Tensor Block::forward(const Tensor& x) const {
  Tensor h = ops::relu(conv0_.forward(x));
  h = ops::relu(conv2_.forward(h));
  h = conv4_.forward(h);
  return ops::relu(ops::add(h, skip_ ? skip_->forward(x) : x));
}

}  // namespace taesd

TaesdEncoder::TaesdEncoder(const Weights& w) {
  check(w.has("14.weight"), w.store().source(), ": not a TAESD encoder (tensor ", w.key("14.weight"), " is missing)");
  const Shape out_shape = w.shape("14.weight");
  check(out_shape.size() == 4, w.store().source(), ": tensor ", w.key("14.weight"), " has shape ",
        shape_string(out_shape), ", expected [latent_channels, 64, 3, 3]");
  latent_channels_ = out_shape[0];
  conv_in_ = conv(w.sub(0), 3, kWidth, 3, 1, true);
  first_block_ = taesd::Block(w.sub(1), kWidth, kWidth);
  for (int stage = 0; stage < 3; ++stage) {
    const int base = 2 + stage * 4;  // conv stride 2 at 2, 6, 10; blocks after each
    down_[stage] = conv(w.sub(base), kWidth, kWidth, 3, 2, false);
    for (int b = 0; b < 3; ++b) blocks_[stage][b] = taesd::Block(w.sub(base + 1 + b), kWidth, kWidth);
  }
  conv_out_ = conv(w.sub(14), kWidth, latent_channels_, 3, 1, true);
}

Tensor TaesdEncoder::forward(const Tensor& image) const {
  check(image.ndim() == 4 && image.dim(1) == 3, "TAESD encoder: expected an image [N, 3, H, W], got ",
        image.describe());
  Tensor x = first_block_.forward(conv_in_.forward(ops::to_compute(ops::to_device_of(image, conv_in_.weight()))));
  for (int stage = 0; stage < 3; ++stage) {
    x = down_[stage].forward(x);
    for (const auto& block : blocks_[stage]) x = block.forward(x);
  }
  return conv_out_.forward(x);
}

TaesdDecoder::TaesdDecoder(const Weights& w) {
  check(w.has("1.weight"), w.store().source(), ": not a TAESD decoder (tensor ", w.key("1.weight"), " is missing)");
  const Shape in_shape = w.shape("1.weight");
  check(in_shape.size() == 4, w.store().source(), ": tensor ", w.key("1.weight"), " has shape ",
        shape_string(in_shape), ", expected [64, latent_channels, 3, 3]");
  latent_channels_ = in_shape[1];
  conv_in_ = conv(w.sub(1), latent_channels_, kWidth, 3, 1, true);
  for (int stage = 0; stage < 3; ++stage) {
    const int base = 3 + stage * 5;  // blocks at 3-5, 8-10, 13-15; Upsample, then conv at 7, 12, 17
    for (int b = 0; b < 3; ++b) blocks_[stage][b] = taesd::Block(w.sub(base + b), kWidth, kWidth);
    up_[stage] = conv(w.sub(base + 4), kWidth, kWidth, 3, 1, false);
  }
  last_block_ = taesd::Block(w.sub(18), kWidth, kWidth);
  conv_out_ = conv(w.sub(19), kWidth, 3, 3, 1, true);
}

Tensor TaesdDecoder::forward(const Tensor& latent) const {
  check(latent.ndim() == 4 && latent.dim(1) == latent_channels_, "TAESD decoder: expected a latent [N, ",
        latent_channels_, ", h, w], got ", latent.describe());
  // Clamp: a soft limit of the latent to (-3, 3).
  Tensor x = ops::scale(ops::tanh(ops::scale(ops::to_compute(ops::to_device_of(latent, conv_in_.weight())), 1.0f / 3.0f)), 3.0f);
  x = ops::relu(conv_in_.forward(x));
  for (int stage = 0; stage < 3; ++stage) {
    for (const auto& block : blocks_[stage]) x = block.forward(x);
    x = up_[stage].forward(ops::upsample_nearest(x, 2));
  }
  return conv_out_.forward(last_block_.forward(x));
}

TaesdEncoder load_taesd_encoder(const std::string& path, const StorePlacement& placement) {
  return TaesdEncoder(Weights(place(placement, open_tensor_store(path))));
}

TaesdDecoder load_taesd_decoder(const std::string& path, const StorePlacement& placement) {
  return TaesdDecoder(Weights(place(placement, open_tensor_store(path))));
}

}  // namespace fluxgen
