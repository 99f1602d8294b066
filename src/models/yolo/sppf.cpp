#include "models/yolo/sppf.h"

namespace fluxgen::yolo {

SPPF::SPPF(const Scope& s, int64_t in, int kernel) : kernel_(kernel) {
  cv1_ = Conv(s.sub("cv1"), in, -1, 1);
  cv2_ = Conv(s.sub("cv2"), 4 * cv1_.out_channels(), -1, 1);
}

Tensor SPPF::forward(const Tensor& x) const {
  const Tensor a = cv1_.forward(x);
  const Tensor b = ops::max_pool2d(a, kernel_, 1, kernel_ / 2);
  const Tensor c = ops::max_pool2d(b, kernel_, 1, kernel_ / 2);
  const Tensor d = ops::max_pool2d(c, kernel_, 1, kernel_ / 2);
  return cv2_.forward(ops::concat({a, b, c, d}, 1));
}

}  // namespace fluxgen::yolo
