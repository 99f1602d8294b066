// Ultralytics' detection postprocessing (ultralytics/utils/ops.py), in float32 as PyTorch runs it:
//  - non_max_suppression: candidates whose best class score > conf; boxes xywh -> xyxy; each keeps
//    its best class (first on ties); per-class NMS by offsetting boxes by class·7680 (max_wh) and
//    running torchvision.ops.nms (score order, suppress IoU > iou), at most max_det kept;
//  - scale_boxes: from the letterboxed input back to the image: subtract the padding
//    round((in − img·gain)/2 − 0.1), divide by gain = min(in_h/img_h, in_w/img_w), clip to the image.
#pragma once
#include <array>
#include <cstdint>
#include <vector>

#include "tensor/tensor.h"

namespace fluxgen::yolo {

struct Detection {
  float x1 = 0, y1 = 0, x2 = 0, y2 = 0;
  float confidence = 0;
  int64_t cls = 0;
};

struct NmsOptions {
  float confidence = 0.25f;  // Ultralytics' predict default (ADetailer passes its ad_confidence)
  double iou = 0.7;          // predict default
  int max_det = 300;
  int max_nms = 30000;
  float max_wh = 7680.0f;
  bool agnostic = false;
};

// raw: [1, 4 + nc, cells] (Detect's output) -> detections in input pixels, best first.
std::vector<Detection> non_max_suppression(const Tensor& raw, const NmsOptions& options = {});

// torchvision.ops.nms on xyxy boxes: indices kept, by decreasing score (stable on ties).
std::vector<int64_t> nms(const std::vector<std::array<float, 4>>& boxes, const std::vector<float>& scores,
                         double iou_threshold);

// In place, from a letterboxed input of in_h×in_w to the original img_h×img_w image.
void scale_boxes(std::vector<Detection>& detections, int in_h, int in_w, int img_h, int img_w);

// N×6 F32 tensor (x1, y1, x2, y2, confidence, class), as Ultralytics' Results.boxes.data.
Tensor detections_tensor(const std::vector<Detection>& detections);

}  // namespace fluxgen::yolo
