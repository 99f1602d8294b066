// Ultralytics' SPPF (block.py): cv1 (1×1, c1 -> c1/2), three chained max pools (k = 5, stride 1,
// padding 2), the four maps concatenated, cv2 (1×1, 2·c1 -> c2).
#pragma once
#include "models/yolo/conv.h"

namespace fluxgen::yolo {

class SPPF {
 public:
  SPPF() = default;
  SPPF(const Scope& s, int64_t in, int kernel = 5);
  Tensor forward(const Tensor& x) const;
  int64_t out_channels() const { return cv2_.out_channels(); }

 private:
  Conv cv1_, cv2_;
  int kernel_ = 5;
};

}  // namespace fluxgen::yolo
