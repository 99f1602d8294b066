// OpenCV's filters on 8-bit single-channel masks, bit for bit, as A1111/Forge and ADetailer call
// them from Python:
//  - cv2.GaussianBlur(mask, (kw, kh), sigma): OpenCV >= 3.4 blurs 8-bit images in fixed point
//    (kernel weights in units of 1/256, chosen by error diffusion so they sum exactly to 256;
//    rounded once, half up, after both passes), borders mirrored without repeating the edge
//    (BORDER_REFLECT_101). Cost: width·height·(kw + kh).
//  - cv2.dilate / cv2.erode with a v×v rectangle, one iteration: the max / min over the window
//    [x − v/2, x + (v−1)/2] (the anchor is the centre, v/2 rounded down); pixels outside the image
//    never win.
#pragma once
#include <cstdint>
#include <vector>

#include "io/image/image.h"

namespace fluxgen::imaging {

// The fixed-point 1-D kernel OpenCV uses for an odd size and sigma > 0 (raw values, sum 256).
std::vector<int> opencv_gaussian_kernel_8u(int size, double sigma);

// cv2.GaussianBlur with a (kernel_x, kernel_y) window (odd sizes; 1 leaves that axis alone) and
// sigma for both axes, on a 1-channel image.
Image opencv_gaussian_blur(const Image& mask, int kernel_x, int kernel_y, double sigma);

// cv2.dilate (size > 0) or cv2.erode with a size×size rectangle on a 1-channel image.
// Any size costs the same (a sliding window); sizes beyond twice the image act as the whole image.
Image opencv_dilate(const Image& mask, int64_t size);
Image opencv_erode(const Image& mask, int64_t size);

}  // namespace fluxgen::imaging
