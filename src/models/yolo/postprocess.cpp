#include "models/yolo/postprocess.h"

#include <algorithm>
#include <numeric>

#include "backend/ops.h"
#include "models/yolo/letterbox.h"
#include "util/error.h"

namespace fluxgen::yolo {

std::vector<int64_t> nms(const std::vector<std::array<float, 4>>& boxes, const std::vector<float>& scores,
                         double iou_threshold) {
  check(boxes.size() == scores.size(), "nms: ", boxes.size(), " boxes but ", scores.size(), " scores");
  const size_t n = boxes.size();
  std::vector<int64_t> order(n);
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](int64_t a, int64_t b) { return scores[a] > scores[b]; });
  std::vector<float> areas(n);
  for (size_t i = 0; i < n; ++i) areas[i] = (boxes[i][2] - boxes[i][0]) * (boxes[i][3] - boxes[i][1]);
  std::vector<char> suppressed(n, 0);
  std::vector<int64_t> keep;
  for (size_t oi = 0; oi < n; ++oi) {
    const int64_t i = order[oi];
    if (suppressed[i]) continue;
    keep.push_back(i);
    const auto& bi = boxes[i];
    for (size_t oj = oi + 1; oj < n; ++oj) {
      const int64_t j = order[oj];
      if (suppressed[j]) continue;
      const auto& bj = boxes[j];
      const float w = std::max(0.0f, std::min(bi[2], bj[2]) - std::max(bi[0], bj[0]));
      const float h = std::max(0.0f, std::min(bi[3], bj[3]) - std::max(bi[1], bj[1]));
      const float inter = w * h;
      const float iou = inter / (areas[i] + areas[j] - inter);
      // torchvision compares the float IoU with the double threshold.
      if (static_cast<double>(iou) > iou_threshold) suppressed[j] = 1;
    }
  }
  return keep;
}

std::vector<Detection> non_max_suppression(const Tensor& raw_in, const NmsOptions& o) {
  const Tensor raw = ops::to_host(raw_in);
  check(raw.ndim() == 3 && raw.dim(0) == 1 && raw.dim(1) > 4, "non_max_suppression: expected [1, 4 + nc, cells], got ",
        raw.describe());
  check(o.confidence >= 0 && o.confidence <= 1, "confidence threshold ", o.confidence, " is outside [0, 1]");
  check(o.iou >= 0 && o.iou <= 1, "IoU threshold ", o.iou, " is outside [0, 1]");
  const int64_t nc = raw.dim(1) - 4, cells = raw.dim(2);
  const float* p = raw.f32();
  auto at = [&](int64_t row, int64_t cell) { return p[row * cells + cell]; };
  std::vector<Detection> cand;
  for (int64_t a = 0; a < cells; ++a) {
    int64_t best = 0;
    float conf = at(4, a);
    for (int64_t c = 1; c < nc; ++c)
      if (at(4 + c, a) > conf) conf = at(4 + c, a), best = c;
    if (!(conf > o.confidence)) continue;
    const float cx = at(0, a), cy = at(1, a), hw = at(2, a) / 2, hh = at(3, a) / 2;
    cand.push_back({cx - hw, cy - hh, cx + hw, cy + hh, conf, best});
  }
  if (static_cast<int64_t>(cand.size()) > o.max_nms) {
    std::stable_sort(cand.begin(), cand.end(), [](const Detection& a, const Detection& b) {
      return a.confidence > b.confidence;
    });
    cand.resize(static_cast<size_t>(o.max_nms));
  }
  std::vector<std::array<float, 4>> boxes;
  std::vector<float> scores;
  for (const Detection& d : cand) {
    const float off = o.agnostic ? 0.0f : static_cast<float>(d.cls) * o.max_wh;
    boxes.push_back({d.x1 + off, d.y1 + off, d.x2 + off, d.y2 + off});
    scores.push_back(d.confidence);
  }
  std::vector<int64_t> keep = nms(boxes, scores, o.iou);
  if (static_cast<int64_t>(keep.size()) > o.max_det) keep.resize(static_cast<size_t>(std::max(o.max_det, 0)));
  std::vector<Detection> out;
  for (int64_t i : keep) out.push_back(cand[static_cast<size_t>(i)]);
  return out;
}

void scale_boxes(std::vector<Detection>& dets, int in_h, int in_w, int img_h, int img_w) {
  check(in_h > 0 && in_w > 0 && img_h > 0 && img_w > 0, "scale_boxes: empty image size");
  const double gain = std::min(static_cast<double>(in_h) / img_h, static_cast<double>(in_w) / img_w);
  const float pad_x = static_cast<float>(python_round((in_w - img_w * gain) / 2 - 0.1));
  const float pad_y = static_cast<float>(python_round((in_h - img_h * gain) / 2 - 0.1));
  const float g = static_cast<float>(gain), W = static_cast<float>(img_w), H = static_cast<float>(img_h);
  for (Detection& d : dets) {
    d.x1 = std::clamp((d.x1 - pad_x) / g, 0.0f, W);
    d.y1 = std::clamp((d.y1 - pad_y) / g, 0.0f, H);
    d.x2 = std::clamp((d.x2 - pad_x) / g, 0.0f, W);
    d.y2 = std::clamp((d.y2 - pad_y) / g, 0.0f, H);
  }
}

Tensor detections_tensor(const std::vector<Detection>& dets) {
  Tensor t = Tensor::zeros({static_cast<int64_t>(dets.size()), 6});
  for (size_t i = 0; i < dets.size(); ++i) {
    float* r = t.f32() + i * 6;
    r[0] = dets[i].x1, r[1] = dets[i].y1, r[2] = dets[i].x2, r[3] = dets[i].y2;
    r[4] = dets[i].confidence, r[5] = static_cast<float>(dets[i].cls);
  }
  return t;
}

}  // namespace fluxgen::yolo
