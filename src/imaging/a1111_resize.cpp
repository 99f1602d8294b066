#include "imaging/a1111_resize.h"

#include <algorithm>

#include "imaging/resize.h"
#include "util/error.h"

namespace fluxgen::imaging {

namespace {

// A1111's inner resize(): the upscaler (not for gray masks) when the image must grow, then Lanczos
// to the exact size.
Image resize_to(const Image& image, int w, int h, const Upscaler& upscaler) {
  if (!upscaler || image.channels == 1) return resize(image, w, h, Filter::Lanczos);
  const double scale = std::max(static_cast<double>(w) / image.width, static_cast<double>(h) / image.height);
  Image im = scale > 1.0 ? upscaler(image, scale) : image;
  if (im.width != w || im.height != h) im = resize(im, w, h, Filter::Lanczos);
  return im;
}

}  // namespace

Image a1111_resize_image(const Image& image, ResizeMode mode, int width, int height, const Upscaler& upscaler) {
  check(!image.empty(), "resize_image: empty image");
  check_image_size(width, height, "resize_image target");
  if (mode == ResizeMode::JustResize) return resize_to(image, width, height, upscaler);
  check(mode == ResizeMode::CropAndResize || mode == ResizeMode::ResizeAndFill, "resize_image: unknown resize mode ",
        static_cast<int>(mode));

  // Python's `/` on ints is true division; `//` floors (all values here are positive).
  const double ratio = static_cast<double>(width) / height;
  const double src_ratio = static_cast<double>(image.width) / image.height;
  const int64_t iw = image.width, ih = image.height;
  int src_w, src_h;
  if (mode == ResizeMode::CropAndResize) {
    src_w = ratio > src_ratio ? width : static_cast<int>(iw * height / ih);
    src_h = ratio <= src_ratio ? height : static_cast<int>(ih * width / iw);
  } else {
    src_w = ratio < src_ratio ? width : static_cast<int>(iw * height / ih);
    src_h = ratio >= src_ratio ? height : static_cast<int>(ih * width / iw);
  }
  check(src_w > 0 && src_h > 0, "resize_image: ", image.width, "x", image.height, " cannot be fitted into ", width,
        "x", height);
  const Image resized = resize_to(image, src_w, src_h, upscaler);
  Image res(width, height, 3);
  paste(res, resized, width / 2 - src_w / 2, height / 2 - src_h / 2);
  if (mode == ResizeMode::CropAndResize) return res;

  // The bars are the resized image's first/last row (or column) stretched by a zero-height box, with
  // Image.resize's default filter, bicubic, which blends in the neighbouring row as Pillow does.
  const auto fw = static_cast<float>(resized.width), fh = static_cast<float>(resized.height);
  if (ratio < src_ratio) {
    const int fill_height = height / 2 - src_h / 2;
    if (fill_height > 0) {
      paste(res, resize(resized, width, fill_height, Filter::Bicubic, Box{0, 0, static_cast<float>(width), 0}), 0, 0);
      paste(res, resize(resized, width, fill_height, Filter::Bicubic, Box{0, fh, static_cast<float>(width), fh}), 0,
            fill_height + src_h);
    }
  } else if (ratio > src_ratio) {
    const int fill_width = width / 2 - src_w / 2;
    if (fill_width > 0) {
      paste(res, resize(resized, fill_width, height, Filter::Bicubic, Box{0, 0, 0, static_cast<float>(height)}), 0, 0);
      paste(res, resize(resized, fill_width, height, Filter::Bicubic, Box{fw, 0, fw, static_cast<float>(height)}),
            fill_width + src_w, 0);
    }
  }
  return res;
}

}  // namespace fluxgen::imaging
