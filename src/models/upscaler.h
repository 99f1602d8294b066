// Image upscalers from files: ESRGAN-family RRDBNet (4x-UltraSharp, Remacri, Real-ESRGAN x4plus /
// x2plus ...) and Real-ESRGAN compact SRVGGNetCompact (realesr-animevideov3, realesr-general-x4v3),
// the kind and configuration detected from the tensor names and shapes.
//
// upscale()/upscale_tiled() do what Forge's upscale_with_model does for every such model (ESRGAN and
// RealESRGAN upscalers alike, since both go through upscaler_utils.upscale_pil_patch): the RGB image
// is fed as BGR (channels flipped; the original ESRGAN models were trained on OpenCV's BGR images,
// and Forge flips for the compact models too), the output is clamped to [0, 1] and flipped back to
// RGB, tile by tile when tiling (Forge's defaults: tile 192, overlap 8; tile <= 0 = no tiling).
// forward() is the bare network (no flip, no clamp): `fluxgen eval esrgan`.
#pragma once
#include <memory>
#include <string>

#include "io/tensor_store.h"
#include "models/esrgan/sr_checkpoint.h"
#include "models/esrgan/srvgg_compact.h"
#include "models/tiled_upscale.h"

namespace fluxgen {

struct UpscalerOptions {
  // Feed the network BGR, as Forge/A1111 do. Off = RGB in, RGB out.
  bool bgr = true;
  // The activation of compact models without PReLU weights (a file cannot tell ReLU from LeakyReLU).
  CompactActivation compact_parameterless = CompactActivation::ReLU;
  // Where the network's weights go (pipeline/placement); the network then runs there, each tile
  // copied in and its result copied back to the host, where the tiles are pasted.
  StorePlacement placement;
};

struct TileSettings {
  int64_t tile = 192;   // Forge's ESRGAN_tile; <= 0 upscales the whole image at once
  int64_t overlap = 8;  // Forge's ESRGAN_tile_overlap
};

class UpscaleNetwork;

class Upscaler {
 public:
  // Any weight file open_tensor_store reads (.pth/.pt/.safetensors ...).
  static std::shared_ptr<const Upscaler> load(const std::string& path, const UpscalerOptions& options = {});
  static std::shared_ptr<const Upscaler> from_store(const TensorStore& store, const UpscalerOptions& options = {});
  ~Upscaler();

  SrArchitecture architecture() const { return architecture_; }
  int scale() const;
  Device device() const { return device_; }  // where the network runs
  // "RRDBNet x4 (nf 64, nb 23, gc 32), ESRGAN (original naming)".
  std::string description() const;

  // The network alone on [N, C, H, W] fp32 (no channel flip, no clamp); the result on the host.
  Tensor forward(const Tensor& x) const;
  // An RGB image [1, 3, H, W] in [0, 1] -> [1, 3, H*s, W*s] in [0, 1], in one piece.
  Tensor upscale(const Tensor& image) const;
  // The same, tile by tile as Forge does (memory bounded by the tile size).
  Tensor upscale_tiled(const Tensor& image, const TileSettings& tiles = {}, const TileProgress& progress = {}) const;

 private:
  Upscaler() = default;
  // Forge's upscale_pil_patch: flip, network, clamp, flip back.
  Tensor upscale_patch(const Tensor& patch) const;
  SrArchitecture architecture_ = SrArchitecture::RRDBNet;
  std::string layout_;
  UpscalerOptions options_;
  Device device_ = Device::CPU;  // where the network's weights live
  std::unique_ptr<UpscaleNetwork> network_;
};

}  // namespace fluxgen
