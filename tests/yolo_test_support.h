// A YOLOv8 built in memory from the architecture rules of ultralytics/cfg/models/v8/yolov8.yaml
// (parse_model: channels make_divisible(min(c, max)·width, 8), repeats max(round(n·depth), 1)),
// under Ultralytics' state-dict names ("model.model.<i>…"), for tests that need a detector whose
// output they can predict: the backbone and neck get seeded pseudo-random weights; the last 1×1
// convolutions of the Detect head are zero, so the head's logits are exactly the biases chosen here.
#pragma once
#include <cmath>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "io/tensor_store.h"
#include "tensor/tensor.h"

namespace fluxgen::test {

struct TinyYoloSpec {
  double depth = 0.33, width = 0.125;
  int64_t max_channels = 1024;
  int64_t nc = 2;
  int reg_max = 16;
  // Per level (P3, P4, P5): the 4·reg_max box logits (left, top, right, bottom blocks of reg_max
  // bins) and the nc class logits. Empty: all zero.
  std::vector<std::vector<float>> box_bias, cls_bias;
  std::string prefix = "model.model.";
  uint32_t seed = 1;
  bool shared_buffer = false;  // every weight a view of one buffer (full-size scales cheaply)
};

class TinyYoloBuilder {
 public:
  explicit TinyYoloBuilder(TinyYoloSpec spec) : s_(std::move(spec)), state_(s_.seed) {}

  std::map<std::string, Tensor> build() {
    auto C = [&](int64_t c) {
      return static_cast<int64_t>(std::ceil(static_cast<double>(std::min(c, s_.max_channels)) * s_.width / 8.0)) * 8;
    };
    auto N = [&](int64_t n) {
      return n > 1 ? std::max<int64_t>(static_cast<int64_t>(std::nearbyint(static_cast<double>(n) * s_.depth)), 1) : n;
    };
    const int64_t c0 = C(64), c1 = C(128), c3 = C(256), c5 = C(512), c7 = C(1024);
    conv("0", 3, c0, 3);
    conv("1", c0, c1, 3);
    c2f("2", c1, c1, N(3), true);
    conv("3", c1, c3, 3);
    c2f("4", c3, c3, N(6), true);
    conv("5", c3, c5, 3);
    c2f("6", c5, c5, N(6), true);
    conv("7", c5, c7, 3);
    c2f("8", c7, c7, N(3), true);
    sppf("9", c7, c7);
    const int64_t c12 = C(512), c15 = C(256), c16 = C(256), c18 = C(512), c19 = C(512), c21 = C(1024);
    c2f("12", c7 + c5, c12, N(3), false);
    c2f("15", c12 + c3, c15, N(3), false);
    conv("16", c15, c16, 3);
    c2f("18", c16 + c12, c18, N(3), false);
    conv("19", c18, c19, 3);
    c2f("21", c19 + c7, c21, N(3), false);
    detect("22", {c15, c18, c21});
    return std::move(t_);
  }

  std::shared_ptr<MemoryStore> store(const std::string& source = "tiny_yolov8") {
    return std::make_shared<MemoryStore>(source, build());
  }

 private:
  float next() {  // LCG in [-1, 1)
    state_ = state_ * 1664525u + 1013904223u;
    return static_cast<float>(state_ >> 8) / static_cast<float>(1u << 23) - 1.0f;
  }
  Tensor random(const Shape& shape, float scale, float offset = 0.0f) {
    if (s_.shared_buffer) {
      // Values in [0.25, 0.75]: valid for every parameter, variances included.
      if (!shared_ || shared_->size() < static_cast<size_t>(shape_numel(shape))) {
        shared_ = std::make_shared<std::vector<float>>(std::max<size_t>(shape_numel(shape), 1 << 20));
        for (float& v : *shared_) v = 0.5f + 0.25f * next();
      }
      return Tensor::wrap(shape, DType::F32, shared_->data(), shape_numel(shape) * 4, shared_);
    }
    std::vector<float> v(static_cast<size_t>(shape_numel(shape)));
    for (float& x : v) x = offset + scale * next();
    return Tensor::from_vector(shape, v);
  }
  std::string key(const std::string& path, const std::string& leaf) { return s_.prefix + path + "." + leaf; }
  void conv(const std::string& p, int64_t in, int64_t out, int64_t k) {
    t_[key(p, "conv.weight")] = random({out, in, k, k}, 1.0f / std::sqrt(static_cast<float>(in * k * k)));
    t_[key(p, "bn.weight")] = random({out}, 0.2f, 1.0f);
    t_[key(p, "bn.bias")] = random({out}, 0.1f);
    t_[key(p, "bn.running_mean")] = random({out}, 0.1f);
    t_[key(p, "bn.running_var")] = random({out}, 0.3f, 1.0f);
    t_[key(p, "bn.num_batches_tracked")] = Tensor::zeros({}, DType::I64);
  }
  void c2f(const std::string& p, int64_t in, int64_t out, int64_t n, bool /*shortcut: the module's, not a tensor*/) {
    const int64_t c = out / 2;
    conv(p + ".cv1", in, 2 * c, 1);
    for (int64_t i = 0; i < n; ++i) {
      conv(p + ".m." + std::to_string(i) + ".cv1", c, c, 3);
      conv(p + ".m." + std::to_string(i) + ".cv2", c, c, 3);
    }
    conv(p + ".cv2", (2 + n) * c, out, 1);
  }
  void sppf(const std::string& p, int64_t in, int64_t out) {
    conv(p + ".cv1", in, in / 2, 1);
    conv(p + ".cv2", in / 2 * 4, out, 1);
  }
  void detect(const std::string& p, const std::vector<int64_t>& ch) {
    const int64_t c2 = std::max<int64_t>({16, ch[0] / 4, s_.reg_max * 4});
    const int64_t c3 = std::max<int64_t>(ch[0], std::min<int64_t>(s_.nc, 100));
    for (size_t i = 0; i < ch.size(); ++i) {
      const std::string b = p + ".cv2." + std::to_string(i), c = p + ".cv3." + std::to_string(i);
      conv(b + ".0", ch[i], c2, 3);
      conv(b + ".1", c2, c2, 3);
      t_[key(b, "2.weight")] = Tensor::zeros({4 * s_.reg_max, c2, 1, 1});
      t_[key(b, "2.bias")] = bias(s_.box_bias, i, 4 * s_.reg_max);
      conv(c + ".0", ch[i], c3, 3);
      conv(c + ".1", c3, c3, 3);
      t_[key(c, "2.weight")] = Tensor::zeros({s_.nc, c3, 1, 1});
      t_[key(c, "2.bias")] = bias(s_.cls_bias, i, s_.nc);
    }
    std::vector<float> bins(static_cast<size_t>(s_.reg_max));
    for (int k = 0; k < s_.reg_max; ++k) bins[static_cast<size_t>(k)] = static_cast<float>(k);
    t_[key(p, "dfl.conv.weight")] = Tensor::from_vector({1, s_.reg_max, 1, 1}, bins);
  }
  Tensor bias(const std::vector<std::vector<float>>& given, size_t level, int64_t n) {
    if (level < given.size()) return Tensor::from_vector({n}, given[level]);
    return Tensor::zeros({n});
  }

  TinyYoloSpec s_;
  std::map<std::string, Tensor> t_;
  uint32_t state_;
  std::shared_ptr<std::vector<float>> shared_;
};

}  // namespace fluxgen::test
