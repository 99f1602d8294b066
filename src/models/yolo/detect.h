// Ultralytics' Detect head (ultralytics/nn/modules/head.py) in eval mode. For each level i
// (P3/8, P4/16, P5/32): cv2.i = Conv 3×3, Conv 3×3, Conv2d 1×1 -> 4·reg_max box distribution
// logits; cv3.i = Conv 3×3, Conv 3×3, Conv2d 1×1 -> nc class logits. Levels are flattened and
// concatenated (row-major cells, P3 first), then:
//  - DFL: for each side (left, top, right, bottom) a softmax over reg_max bins, weighted by the
//    "dfl.conv" 1×1 weights (0, 1, …, reg_max−1): the expected distance in cells;
//  - anchors at cell centres (x + 0.5, y + 0.5); x1y1 = anchor − lt, x2y2 = anchor + rb;
//    box = (centre, size) × stride, in input pixels;
//  - class scores through a sigmoid.
// Output [1, 4 + nc, cells]: rows cx, cy, w, h, then one score per class.
#pragma once
#include <vector>

#include "models/yolo/conv.h"

namespace fluxgen::yolo {

class Detect {
 public:
  Detect() = default;
  Detect(const Scope& s, const std::vector<int64_t>& in_channels);
  // feature maps [1, C_i, H_i, W_i]; strides[i] = input size / H_i.
  Tensor forward(const std::vector<Tensor>& features, const std::vector<int>& strides) const;
  int64_t num_classes() const { return nc_; }
  int64_t reg_max() const { return reg_max_; }

 private:
  struct Branch {
    Conv a, b;
    nn::Conv2d out;
    Tensor forward(const Tensor& x) const;
  };
  Branch branch(const Scope& s, int64_t in, int64_t out) const;
  Tensor dfl(const Tensor& box) const;

  std::vector<Branch> cv2_, cv3_;
  Tensor dfl_weight_;  // [1, reg_max] F32; unset when reg_max == 1 (DFL is the identity)
  int64_t nc_ = 0, reg_max_ = 16;
};

// Anchor centres [2, cells] (x row, y row) and strides [1, cells] for feature maps of the given
// sizes, as Ultralytics' make_anchors(offset 0.5).
void make_anchors(const std::vector<std::pair<int64_t, int64_t>>& sizes_hw, const std::vector<int>& strides,
                  Tensor& anchors, Tensor& stride_per_cell);

}  // namespace fluxgen::yolo
