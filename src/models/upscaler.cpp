#include "models/upscaler.h"

#include "backend/ops.h"
#include "models/esrgan/rrdbnet.h"
#include "tensor/convert.h"
#include "util/error.h"

namespace fluxgen {

// The two architectures behind one interface.
class UpscaleNetwork {
 public:
  virtual ~UpscaleNetwork() = default;
  virtual Tensor forward(const Tensor& x) const = 0;
  virtual int scale() const = 0;
  // Input height/width must be multiples of this (RRDBNet's pixel-unshuffle).
  virtual int size_multiple() const { return 1; }
  virtual std::string describe() const = 0;
};

namespace {

class RRDBNetwork final : public UpscaleNetwork {
 public:
  explicit RRDBNetwork(const Weights& w) : net_(w) {}
  Tensor forward(const Tensor& x) const override { return net_.forward(x); }
  int scale() const override { return net_.config().scale(); }
  int size_multiple() const override { return net_.config().unshuffle; }
  std::string describe() const override {
    const auto& c = net_.config();
    return "RRDBNet x" + std::to_string(c.scale()) + " (nf " + std::to_string(c.nf) + ", nb " + std::to_string(c.nb) +
           ", gc " + std::to_string(c.gc) + (c.unshuffle > 1 ? ", pixel-unshuffle " + std::to_string(c.unshuffle) : "") +
           ")";
  }

 private:
  RRDBNet net_;
};

class CompactNetwork final : public UpscaleNetwork {
 public:
  CompactNetwork(const Weights& w, CompactActivation parameterless) : net_(w, parameterless) {}
  Tensor forward(const Tensor& x) const override { return net_.forward(x); }
  int scale() const override { return net_.config().scale; }
  std::string describe() const override {
    const auto& c = net_.config();
    const char* act = c.activation == CompactActivation::PReLU ? "PReLU"
                      : c.activation == CompactActivation::ReLU ? "ReLU (assumed)"
                                                                 : "LeakyReLU (assumed)";
    return "SRVGGNetCompact x" + std::to_string(c.scale) + " (" + std::to_string(c.num_feat) + " features, " +
           std::to_string(c.num_conv) + " convs, " + act + ")";
  }

 private:
  SRVGGNetCompact net_;
};

Tensor flip_channels(const Tensor& x) {
  if (x.dim(1) != 3) return x;
  return ops::concat({ops::slice(x, 1, 2, 3), ops::slice(x, 1, 1, 2), ops::slice(x, 1, 0, 1)}, 1);
}

void check_image(const Tensor& image) {
  check(image.ndim() == 4 && image.dim(0) == 1 && image.dim(2) > 0 && image.dim(3) > 0,
        "upscale: expected one image [1, C, H, W], got ", image.describe());
}

}  // namespace

Upscaler::~Upscaler() = default;

std::shared_ptr<const Upscaler> Upscaler::load(const std::string& path, const UpscalerOptions& options) {
  return from_store(*open_tensor_store(path), options);
}

std::shared_ptr<const Upscaler> Upscaler::from_store(const TensorStore& store, const UpscalerOptions& options) {
  const SrCheckpoint ckpt = read_sr_checkpoint(store);
  std::shared_ptr<Upscaler> up(new Upscaler());
  up->architecture_ = ckpt.architecture;
  up->layout_ = ckpt.layout;
  up->options_ = options;
  const Weights w(place(options.placement, ckpt.store));
  up->device_ = w.store().device();
  if (ckpt.architecture == SrArchitecture::RRDBNet)
    up->network_ = std::make_unique<RRDBNetwork>(w);
  else
    up->network_ = std::make_unique<CompactNetwork>(w, options.compact_parameterless);
  return up;
}

int Upscaler::scale() const { return network_->scale(); }

std::string Upscaler::description() const { return network_->describe() + ", " + layout_; }

Tensor Upscaler::forward(const Tensor& x) const {
  return ops::to_host(network_->forward(ops::to_device(to_f32(x), device_)));
}

Tensor Upscaler::upscale_patch(const Tensor& patch) const {
  const Tensor on_device = ops::to_device(patch, device_);
  Tensor x = options_.bgr ? flip_channels(on_device) : on_device;
  // Pad to the network's size multiple (bottom/right, black) and cut the padding off the output.
  const int m = network_->size_multiple();
  const int64_t h = x.dim(2), w = x.dim(3);
  const int64_t ph = (m - h % m) % m, pw = (m - w % m) % m;
  if (ph || pw) x = ops::pad2d(x, 0, static_cast<int>(pw), 0, static_cast<int>(ph));
  Tensor y = network_->forward(x);
  if (ph || pw) y = ops::slice(ops::slice(y, 2, 0, h * scale()), 3, 0, w * scale());
  y = ops::clamp(y, 0.0f, 1.0f);
  return ops::to_host(options_.bgr ? flip_channels(y) : y);
}

Tensor Upscaler::upscale(const Tensor& image) const {
  check_image(image);
  return upscale_patch(to_f32(image));
}

Tensor Upscaler::upscale_tiled(const Tensor& image, const TileSettings& tiles, const TileProgress& progress) const {
  check_image(image);
  if (tiles.tile <= 0) {
    Tensor out = upscale(image);
    if (progress) progress(1, 1);
    return out;
  }
  const TileGrid grid = split_grid(image.dim(3), image.dim(2), tiles.tile, tiles.overlap);
  return tiled_upscale(image, grid, [this](const Tensor& tile) { return upscale_patch(tile); }, progress);
}

}  // namespace fluxgen
