// Image: 8-bit pixels as every image file and the A1111 API carry them (interleaved rows of 1, 3 or
// 4 channels: gray masks, RGB, RGBA), and the conversions to the NCHW float tensors models take.
// The size limits live here because every decoder and every request checks against the same ones.
#pragma once
#include <cstdint>
#include <string_view>
#include <vector>

#include "tensor/tensor.h"

namespace fluxgen {

// Largest side and largest pixel count fluxgen accepts from a file or a request: 16384 per side
// (beyond any FLUX resolution after HiRes.fix) and 64 Mpx in total (an 8192x8192 RGBA image is
// 256 MiB of pixels, 1 GiB as a float tensor), so a hostile header cannot ask for absurd memory.
constexpr int kMaxImageSide = 16384;
constexpr int64_t kMaxImagePixels = int64_t(1) << 26;

// Throws "<what>: image size WxH ..." when a size is zero, negative or beyond the limits above.
void check_image_size(int64_t width, int64_t height, std::string_view what);

struct Image {
  int width = 0;
  int height = 0;
  int channels = 0;             // 1 (gray), 3 (RGB) or 4 (RGBA)
  std::vector<uint8_t> pixels;  // row-major, channels interleaved, no padding

  Image() = default;
  // Zero-filled (black, transparent); validates the size and channel count.
  Image(int width, int height, int channels);

  bool empty() const { return pixels.empty(); }
  bool has_alpha() const { return channels == 4; }
  size_t row_bytes() const { return static_cast<size_t>(width) * channels; }
  uint8_t* pixel(int x, int y) { return pixels.data() + (static_cast<size_t>(y) * width + x) * channels; }
  const uint8_t* pixel(int x, int y) const {
    return pixels.data() + (static_cast<size_t>(y) * width + x) * channels;
  }
};

// Channel conversions as Pillow's convert(): RGB from gray replicates; RGBA -> RGB drops alpha
// (A1111 flattens onto a background first where that matters); gray from RGB is ITU-R 601-2 luma
// L = (R*299 + G*587 + B*114) / 1000, computed as Pillow does in fixed point.
Image to_rgb(const Image& image);
Image to_rgba(const Image& image);
Image to_gray(const Image& image);
// Composites RGBA over a solid background colour (A1111's images.flatten) -> RGB.
Image flatten_alpha(const Image& image, uint8_t r, uint8_t g, uint8_t b);

// Value ranges of the float tensors models take: [0, 1] (TAESD, ESRGAN) or [-1, 1] (the FLUX VAE).
enum class PixelRange { ZeroOne, MinusOneOne };

// [1, C, H, W] F32 from an image: v/255, or 2·(v/255) − 1 (A1111's img2img, in float32). The way
// back truncates (below), so a [-1, 1] round trip can land one step low, as it does in Forge.
Tensor image_to_tensor(const Image& image, PixelRange range);
// An image from [1, C, H, W] (or [C, H, W]) with C in {1, 3, 4}: values mapped to [0, 1], clamped,
// times 255, truncated toward zero: exactly Forge's processing.py (clamp((x + 1) / 2, 0, 1), then
// (255. * x).astype(np.uint8)), so a decoded image has the same bytes as Forge's. NaN gives 0.
Image tensor_to_image(const Tensor& tensor, PixelRange range);

}  // namespace fluxgen
