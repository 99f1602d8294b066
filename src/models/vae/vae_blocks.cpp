#include "models/vae/vae_blocks.h"

namespace fluxgen::vae {

namespace {
constexpr int kGroups = 32;
constexpr float kEps = 1e-6f;
}  // namespace

ResnetBlock::ResnetBlock(const Weights& w, int64_t in, int64_t out)
    : norm1(w.sub("norm1"), kGroups, in, kEps),
      norm2(w.sub("norm2"), kGroups, out, kEps),
      conv1(w.sub("conv1"), in, out, 1, 1),
      conv2(w.sub("conv2"), out, out, 1, 1) {
  if (in != out) nin_shortcut = nn::Conv2d(w.sub("nin_shortcut"), in, out, 1, 0);
}

Tensor ResnetBlock::forward(const Tensor& x) const {
  Tensor h = conv1.forward(ops::silu(norm1.forward(x)));
  h = conv2.forward(ops::silu(norm2.forward(h)));
  return ops::add(nin_shortcut ? nin_shortcut->forward(x) : x, h);
}

AttnBlock::AttnBlock(const Weights& w, int64_t c)
    : norm(w.sub("norm"), kGroups, c, kEps),
      q(w.sub("q"), c, c),
      k(w.sub("k"), c, c),
      v(w.sub("v"), c, c),
      proj_out(w.sub("proj_out"), c, c) {}

Tensor AttnBlock::forward(const Tensor& x) const {
  const Tensor h = norm.forward(x);
  const int64_t B = x.dim(0), C = x.dim(1), H = x.dim(2), W = x.dim(3);
  // "b c h w -> b 1 (h w) c": one head over every pixel.
  auto tokens = [&](const Tensor& t) { return ops::permute(t.reshape({B, 1, C, H * W}), {0, 1, 3, 2}); };
  const Tensor a = ops::attention(tokens(q.forward(h)), tokens(k.forward(h)), tokens(v.forward(h)));
  const Tensor back = ops::permute(a, {0, 1, 3, 2}).reshape({B, C, H, W});
  return ops::add(x, proj_out.forward(back));
}

Downsample::Downsample(const Weights& w, int64_t c) : conv(w.sub("conv"), c, c, 2, 0) {}

Tensor Downsample::forward(const Tensor& x) const { return conv.forward(ops::pad2d(x, 0, 1, 0, 1)); }

Upsample::Upsample(const Weights& w, int64_t c) : conv(w.sub("conv"), c, c, 1, 1) {}

Tensor Upsample::forward(const Tensor& x) const { return conv.forward(ops::upsample_nearest(x, 2)); }

}  // namespace fluxgen::vae
