// Ultralytics' DetectionModel for YOLOv8 (ultralytics/cfg/models/v8/yolov8.yaml), every scale:
//
//   0 Conv s2   1 Conv s2   2 C2f+   3 Conv s2   4 C2f+ (P3)   5 Conv s2   6 C2f+ (P4)
//   7 Conv s2   8 C2f+      9 SPPF (P5)
//  10 Upsample ×2   11 Concat(10, 6)   12 C2f    13 Upsample ×2   14 Concat(13, 4)   15 C2f (P3 out)
//  16 Conv s2       17 Concat(16, 12)  18 C2f (P4 out)   19 Conv s2   20 Concat(19, 9)   21 C2f (P5 out)
//  22 Detect(15, 18, 21)                                  (+ = Bottleneck shortcut)
//
// Layer widths and Bottleneck counts are read from the tensors (any n/s/m/l/x scale or custom
// multiples); when the checkpoint's yaml gives its multiples they are checked against them.
// Weights live under "model.model.<i>" in an Ultralytics .pt (the DetectionModel is the
// checkpoint's "model" entry), "model.<i>" in a DetectionModel state dict, or "<i>".
#pragma once
#include <map>
#include <memory>
#include <string>

#include "models/yolo/c2f.h"
#include "models/yolo/detect.h"
#include "models/yolo/sppf.h"

namespace fluxgen::yolo {

// Output channels and repeats (Bottlenecks; 1 for Conv and SPPF) of the layers of yolov8.yaml that
// own weights, by layer index.
using LayerLayout = std::map<int, std::pair<int64_t, int64_t>>;

class DetectionModel {
 public:
  // Throws a clear fluxgen::Error for segmentation/pose checkpoints, other YOLO generations and
  // malformed weights.
  DetectionModel(std::shared_ptr<const TensorStore> store, ModelInfo info);

  // [1, 3, H, W] RGB in [0, 1], H and W multiples of 32 -> [1, 4 + nc, cells] (Detect's output),
  // computed where the store keeps the weights (the input is copied there), returned on the host.
  Tensor forward(const Tensor& image) const;

  int64_t num_classes() const { return detect_.num_classes(); }
  const ModelInfo& info() const { return info_; }
  Device device() const { return device_; }  // where the layers run
  // "n", "s", "m", "l", "x" from the checkpoint's yaml, else recognised from the widths, else "".
  const std::string& scale() const { return scale_; }
  // "YOLOv8n (1 class: face)" for logs.
  std::string describe() const;
  LayerLayout layout() const;

 private:
  ModelInfo info_;
  Device device_ = Device::CPU;
  std::string scale_;
  Conv l0_, l1_, l3_, l5_, l7_, l16_, l19_;
  C2f l2_, l4_, l6_, l8_, l12_, l15_, l18_, l21_;
  SPPF l9_;
  Detect detect_;
};

// The first layer that differs from what parse_model builds with these multiples, described, or "".
std::string layout_mismatch(const LayerLayout& layout, double depth, double width, int64_t max_channels);
// The yolov8.yaml scale ("n" … "x") whose multiples build exactly `layout`, or "".
std::string scale_of_layout(const LayerLayout& layout);

// Where the layers live in a store: "model.model.", "model." or "" (the prefix of "<i>.…").
// Throws naming what was found instead when it is no YOLOv8 detection model.
std::string find_yolo_prefix(const TensorStore& store);

}  // namespace fluxgen::yolo
