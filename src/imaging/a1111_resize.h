// A1111/Forge's images.resize_image, the resize every img2img, inpaint and ADetailer input goes
// through: mode 0 "Just resize" (stretch), 1 "Crop and resize" (fill the target, centre-crop the
// overflow), 2 "Resize and fill" (fit inside, centre, stretch the edge rows/columns into the bars).
#pragma once
#include <functional>

#include "io/image/image.h"

namespace fluxgen::imaging {

enum class ResizeMode { JustResize = 0, CropAndResize = 1, ResizeAndFill = 2 };

// An upscaler that enlarges an image by about `scale` (ESRGAN and friends); A1111 applies it
// before the final Lanczos when the image must grow. Empty: Lanczos only (A1111's "None").
using Upscaler = std::function<Image(const Image& image, double scale)>;

// Modes 1 and 2 return RGB (A1111 pastes onto a new black RGB canvas); mode 0 keeps the channels.
Image a1111_resize_image(const Image& image, ResizeMode mode, int width, int height, const Upscaler& upscaler = {});

}  // namespace fluxgen::imaging
