#include "models/yolo/letterbox.h"

#include <algorithm>
#include <cmath>

#include "imaging/opencv_resize.h"
#include "util/error.h"

namespace fluxgen::yolo {

long python_round(double v) {
  // nearbyint in the default rounding mode takes ties to the even neighbour, as Python does.
  return static_cast<long>(std::nearbyint(v));
}

Letterbox letterbox(const Image& input, int target_height, int target_width, int stride) {
  check(!input.empty(), "letterbox: empty image");
  check(target_height > 0 && target_width > 0 && stride > 0, "letterbox: bad size ", target_width, "x", target_height,
        " or stride ", stride);
  const Image rgb = input.channels == 3 ? input : to_rgb(input);
  const int h = rgb.height, w = rgb.width;
  Letterbox out;
  out.ratio = std::min(static_cast<double>(target_height) / h, static_cast<double>(target_width) / w);
  out.resized_width = std::max<int>(1, static_cast<int>(python_round(w * out.ratio)));
  out.resized_height = std::max<int>(1, static_cast<int>(python_round(h * out.ratio)));
  // auto=True: pad only to the stride; np.mod of a non-negative difference.
  const int pad_w = (target_width - out.resized_width) % stride, pad_h = (target_height - out.resized_height) % stride;
  const double dw = pad_w / 2.0, dh = pad_h / 2.0;
  out.top = static_cast<int>(python_round(dh - 0.1));
  const int bottom = static_cast<int>(python_round(dh + 0.1));
  out.left = static_cast<int>(python_round(dw - 0.1));
  const int right = static_cast<int>(python_round(dw + 0.1));
  const Image resized = (out.resized_width == w && out.resized_height == h)
                            ? rgb
                            : imaging::opencv_resize_linear(rgb, out.resized_width, out.resized_height);
  Image padded(out.resized_width + out.left + right, out.resized_height + out.top + bottom, 3);
  std::fill(padded.pixels.begin(), padded.pixels.end(), uint8_t{114});
  for (int y = 0; y < resized.height; ++y)
    std::copy(resized.pixel(0, y), resized.pixel(0, y) + resized.row_bytes(), padded.pixel(out.left, y + out.top));
  out.image = std::move(padded);
  return out;
}

Tensor letterbox_tensor(const Image& im) {
  check(im.channels == 3, "letterbox_tensor: expected an RGB image");
  const int64_t HW = static_cast<int64_t>(im.width) * im.height;
  Tensor t = Tensor::empty({1, 3, im.height, im.width});
  float* dst = t.f32();
  for (int64_t i = 0; i < HW; ++i)
    for (int c = 0; c < 3; ++c) dst[c * HW + i] = static_cast<float>(im.pixels[static_cast<size_t>(i * 3 + c)]) / 255.0f;
  return t;
}

}  // namespace fluxgen::yolo
