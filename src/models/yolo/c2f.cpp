#include "models/yolo/c2f.h"

#include "util/error.h"

namespace fluxgen::yolo {

Bottleneck::Bottleneck(const Scope& s, int64_t channels, bool shortcut)
    : cv1_(s.sub("cv1"), channels, channels, 1), cv2_(s.sub("cv2"), channels, channels, 1) {
  add_ = s.info->shortcut_of(s.path).value_or(shortcut);
}

Tensor Bottleneck::forward(const Tensor& x) const {
  Tensor y = cv2_.forward(cv1_.forward(x));
  return add_ ? ops::add(x, y) : y;
}

C2f::C2f(const Scope& s, int64_t in, bool shortcut) {
  const Shape cv1 = s.w.shape("cv1.conv.weight");
  check(cv1.size() == 4 && cv1[0] % 2 == 0, s.w.store().source(), ": tensor ", s.w.key("cv1.conv.weight"),
        " must have an even number of output channels (C2f splits it in two)");
  hidden_ = cv1[0] / 2;
  cv1_ = Conv(s.sub("cv1"), in, 2 * hidden_, 1);
  const int64_t n = s.w.count("m");
  for (int64_t i = 0; i < n; ++i) m_.emplace_back(s.sub("m").sub(i), hidden_, shortcut);
  cv2_ = Conv(s.sub("cv2"), (2 + n) * hidden_, -1, 1);
}

Tensor C2f::forward(const Tensor& x) const {
  std::vector<Tensor> parts = ops::chunk(cv1_.forward(x), 2, 1);
  for (const Bottleneck& b : m_) parts.push_back(b.forward(parts.back()));
  return cv2_.forward(ops::concat(parts, 1));
}

}  // namespace fluxgen::yolo
