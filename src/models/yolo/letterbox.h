// Ultralytics' predict preprocessing for .pt models (ultralytics/data/augment.py LetterBox with
// auto=True, then BasePredictor.preprocess), exactly:
//   r = min(640/h, 640/w) (imgsz 640); the image is resized to (round(w·r), round(h·r)) (Python's round, ties
//   to even) with cv2 INTER_LINEAR, then padded with 114 only up to the next multiple of 32 on each
//   axis, centred: top = round(dh − 0.1), bottom = round(dh + 0.1) for dh = pad/2 (left/right
//   alike); RGB, CHW, divided by 255 in float32.
#pragma once
#include "io/image/image.h"
#include "tensor/tensor.h"

namespace fluxgen::yolo {

struct Letterbox {
  Image image;  // RGB, the padded network input
  double ratio = 1.0;
  int resized_width = 0, resized_height = 0;
  int left = 0, top = 0;  // padding before the resized image
};

// `rgb` with 1, 3 or 4 channels (converted to RGB as PIL's convert("RGB") does), fitted into
// target_height × target_width (Ultralytics' imgsz; 640 × 640 unless the checkpoint says otherwise).
Letterbox letterbox(const Image& rgb, int target_height = 640, int target_width = 640, int stride = 32);

// [1, 3, H, W] float32, pixel / 255 (a division, as Ultralytics does, not a multiplication).
Tensor letterbox_tensor(const Image& letterboxed);

// Python's round() of a double to the nearest integer, ties to even.
long python_round(double v);

}  // namespace fluxgen::yolo
