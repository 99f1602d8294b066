// Ultralytics' C2f (ultralytics/nn/modules/block.py): cv1 (1×1, c1 -> 2c), split into two halves,
// n Bottlenecks ("m.0" ... "m.{n-1}") each fed the previous output, all pieces concatenated, cv2
// (1×1, (2+n)·c -> c2). Bottleneck (e = 1.0, kernels 3×3 and 3×3): cv2(cv1(x)), plus x when the
// shortcut is on (backbone C2f layers in yolov8.yaml; never in the head).
#pragma once
#include <vector>

#include "models/yolo/conv.h"

namespace fluxgen::yolo {

class Bottleneck {
 public:
  Bottleneck() = default;
  Bottleneck(const Scope& s, int64_t channels, bool shortcut);
  Tensor forward(const Tensor& x) const;

 private:
  Conv cv1_, cv2_;
  bool add_ = false;
};

class C2f {
 public:
  C2f() = default;
  // The hidden width and the number of Bottlenecks come from the weights; `shortcut` is the
  // yolov8.yaml default for this layer, overridden by the checkpoint's own Bottleneck.add.
  C2f(const Scope& s, int64_t in, bool shortcut);
  Tensor forward(const Tensor& x) const;
  int64_t out_channels() const { return cv2_.out_channels(); }
  size_t repeats() const { return m_.size(); }

 private:
  Conv cv1_, cv2_;
  std::vector<Bottleneck> m_;
  int64_t hidden_ = 0;
};

}  // namespace fluxgen::yolo
