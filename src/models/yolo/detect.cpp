#include "models/yolo/detect.h"

#include "backend/ops.h"
#include "tensor/convert.h"
#include "util/error.h"
#include "util/strings.h"

namespace fluxgen::yolo {

Tensor Detect::Branch::forward(const Tensor& x) const { return out.forward(b.forward(a.forward(x))); }

Detect::Branch Detect::branch(const Scope& s, int64_t in, int64_t out) const {
  Branch br;
  br.a = Conv(s.sub(0), in, -1, 1);
  br.b = Conv(s.sub(1), br.a.out_channels(), br.a.out_channels(), 1);
  br.out = nn::Conv2d(s.w.sub(2), br.b.out_channels(), out, 1, 0, true);
  check(br.out.kernel_size() == 1, s.w.store().source(), ": tensor ", s.w.sub(2).key("weight"),
        " must be a 1×1 convolution");
  return br;
}

Detect::Detect(const Scope& s, const std::vector<int64_t>& in_channels) {
  const Weights& w = s.w;
  const std::string& src = w.store().source();
  check(w.count("cv2") == static_cast<int64_t>(in_channels.size()) &&
            w.count("cv3") == static_cast<int64_t>(in_channels.size()),
        src, ": the Detect head ", w.key(""), " must have ", in_channels.size(), " cv2 and cv3 branches, found ",
        w.count("cv2"), " and ", w.count("cv3"));
  const Shape box_out = w.shape("cv2.0.2.weight");
  const Shape cls_out = w.shape("cv3.0.2.weight");
  check(box_out.size() == 4 && box_out[0] % 4 == 0, src, ": tensor ", w.key("cv2.0.2.weight"), " has shape ",
        shape_string(box_out), ", expected [4·reg_max, c, 1, 1]");
  check(cls_out.size() == 4 && cls_out[0] > 0, src, ": tensor ", w.key("cv3.0.2.weight"), " has shape ",
        shape_string(cls_out), ", expected [nc, c, 1, 1]");
  reg_max_ = box_out[0] / 4;
  nc_ = cls_out[0];
  if (s.info->nc) {
    check(*s.info->nc == nc_, src, ": the checkpoint declares nc = ", *s.info->nc, " but the Detect head has ", nc_,
          " class outputs");
  }
  if (reg_max_ > 1) {
    const Tensor d = w.get("dfl.conv.weight", {1, reg_max_, 1, 1});
    dfl_weight_ = ops::to_compute(d).reshape({1, reg_max_});
  }
  for (size_t i = 0; i < in_channels.size(); ++i) {
    cv2_.push_back(branch(s.sub("cv2").sub(static_cast<int64_t>(i)), in_channels[i], 4 * reg_max_));
    cv3_.push_back(branch(s.sub("cv3").sub(static_cast<int64_t>(i)), in_channels[i], nc_));
  }
}

Tensor Detect::dfl(const Tensor& box) const {
  if (reg_max_ == 1) return box;
  const int64_t cells = box.dim(2);
  // [1, 4·reg_max, A] -> [1, 4, A, reg_max]: softmax over the bins, then their weighted sum.
  const Tensor bins = ops::permute(box.reshape({1, 4, reg_max_, cells}), {0, 1, 3, 2});
  return ops::linear(ops::softmax(bins), dfl_weight_).reshape({1, 4, cells});
}

void make_anchors(const std::vector<std::pair<int64_t, int64_t>>& sizes_hw, const std::vector<int>& strides,
                  Tensor& anchors, Tensor& stride_per_cell) {
  int64_t cells = 0;
  for (const auto& [h, w] : sizes_hw) cells += h * w;
  anchors = Tensor::empty({2, cells});
  stride_per_cell = Tensor::empty({1, cells});
  int64_t i = 0;
  for (size_t level = 0; level < sizes_hw.size(); ++level) {
    const auto [h, w] = sizes_hw[level];
    for (int64_t y = 0; y < h; ++y)
      for (int64_t x = 0; x < w; ++x, ++i) {
        anchors.f32()[i] = static_cast<float>(x) + 0.5f;
        anchors.f32()[cells + i] = static_cast<float>(y) + 0.5f;
        stride_per_cell.f32()[i] = static_cast<float>(strides[level]);
      }
  }
}

Tensor Detect::forward(const std::vector<Tensor>& features, const std::vector<int>& strides) const {
  check(features.size() == cv2_.size() && strides.size() == cv2_.size(), "Detect: expected ", cv2_.size(),
        " feature maps");
  std::vector<Tensor> boxes, scores;
  std::vector<std::pair<int64_t, int64_t>> sizes;
  for (size_t i = 0; i < features.size(); ++i) {
    const Tensor& f = features[i];
    const int64_t cells = f.dim(2) * f.dim(3);
    sizes.emplace_back(f.dim(2), f.dim(3));
    boxes.push_back(cv2_[i].forward(f).reshape({1, 4 * reg_max_, cells}));
    scores.push_back(cv3_[i].forward(f).reshape({1, nc_, cells}));
  }
  Tensor anchors, stride_per_cell;
  make_anchors(sizes, strides, anchors, stride_per_cell);
  const int64_t cells = anchors.dim(1);
  const Tensor dist = dfl(ops::concat(boxes, 2));  // [1, 4, A]: left, top, right, bottom in cells
  const Tensor anchor = ops::to_device_of(anchors, dist).reshape({1, 2, cells});
  // x1y1 = anchor − lt; x2y2 = anchor + rb (dist2bbox), then centre and size.
  const Tensor x1y1 = ops::scale(ops::sub(ops::slice(dist, 1, 0, 2), anchor), -1.0f);
  const Tensor x2y2 = ops::add(ops::slice(dist, 1, 2, 4), anchor);
  const Tensor centre = ops::scale(ops::add(x1y1, x2y2), 0.5f);
  const Tensor size = ops::sub(x2y2, x1y1);
  const Tensor box = ops::mul(ops::concat({centre, size}, 1), ops::to_device_of(stride_per_cell, dist).reshape({1, 1, cells}));
  return ops::concat({box, ops::sigmoid(ops::concat(scores, 2))}, 1);
}

}  // namespace fluxgen::yolo
