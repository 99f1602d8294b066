// The activation of an Ultralytics Conv: Conv.default_act is nn.SiLU(), but a model's yaml may
// name another one ("activation: nn.ReLU()"), and the pickled module tree records which class each
// Conv's `act` holds. fluxgen reads it from there rather than assuming SiLU.
#pragma once
#include <string>
#include <string_view>

#include "tensor/tensor.h"

namespace fluxgen::yolo {

struct ActivationSpec {
  enum class Kind { SiLU, ReLU, ReLU6, LeakyReLU, Sigmoid, Tanh, GELU, GELUTanh, Hardswish, Identity };
  Kind kind = Kind::SiLU;
  float negative_slope = 0.01f;  // LeakyReLU only

  bool operator==(const ActivationSpec&) const = default;
  std::string name() const;
};

// From a torch.nn activation class name ("SiLU", "torch.nn.modules.activation.ReLU", "nn.ReLU()"),
// with LeakyReLU's slope given separately; throws naming the class for unsupported ones.
ActivationSpec activation_from_class(std::string_view class_name, float negative_slope = 0.01f);

Tensor apply_activation(const Tensor& x, const ActivationSpec& act);

}  // namespace fluxgen::yolo
