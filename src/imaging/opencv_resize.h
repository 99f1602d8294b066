// cv2.resize(image, (width, height), interpolation=cv2.INTER_LINEAR) on 8-bit images, bit for bit:
// what Ultralytics' letterbox runs before every YOLO prediction. OpenCV's bilinear differs from
// Pillow's (imaging/resize.h): pixel centres map as src = (dst + 0.5)·(in/out) − 0.5 with no
// antialiasing when shrinking, coefficients are 11-bit fixed point, and the vertical pass rounds
// in its own staged way; an exact 2× reduction in both axes is the 2×2 box average (INTER_AREA's
// fast path, which OpenCV substitutes there).
#pragma once
#include "io/image/image.h"

namespace fluxgen::imaging {

// Any channel count; throws for a non-positive or oversized target.
Image opencv_resize_linear(const Image& image, int width, int height);

}  // namespace fluxgen::imaging
