// Ultralytics' Conv (ultralytics/nn/modules/conv.py): Conv2d without bias ("conv"), BatchNorm2d
// ("bn"), activation ("act"), padding k/2. The BatchNorm is folded into the convolution at load,
// as Ultralytics' own fuse() does before predicting: w' = w·γ/√(var+eps), b' = β − mean·γ/√(var+eps),
// computed in double from the file's (usually fp16) values and kept in fp32. A Conv saved already
// fused (conv.weight + conv.bias, no bn) is taken as it is.
#pragma once
#include <string>
#include <string_view>

#include "models/yolo/model_info.h"
#include "nn/modules.h"

namespace fluxgen::yolo {

// A module's weights together with its path inside DetectionModel ("model.2.cv1"): the key the
// checkpoint's per-module facts in ModelInfo are filed under.
struct Scope {
  Weights w;
  std::string path;
  const ModelInfo* info = nullptr;

  Scope sub(std::string_view child) const;
  Scope sub(int64_t index) const { return sub(std::to_string(index)); }
};

class Conv {
 public:
  Conv() = default;
  // `in` is checked against the weight; `out` too when positive (else read from the weight).
  Conv(const Scope& s, int64_t in, int64_t out, int stride);
  Tensor forward(const Tensor& x) const;
  int64_t out_channels() const { return conv_.out_channels(); }
  int64_t kernel_size() const { return conv_.kernel_size(); }
  const ActivationSpec& activation() const { return act_; }

 private:
  nn::Conv2d conv_;
  ActivationSpec act_;
};

}  // namespace fluxgen::yolo
