#include "models/yolo/activation.h"

#include "backend/ops.h"
#include "util/error.h"
#include "util/strings.h"

namespace fluxgen::yolo {

std::string ActivationSpec::name() const {
  switch (kind) {
    case Kind::SiLU: return "SiLU";
    case Kind::ReLU: return "ReLU";
    case Kind::ReLU6: return "ReLU6";
    case Kind::LeakyReLU: return "LeakyReLU(" + std::to_string(negative_slope) + ")";
    case Kind::Sigmoid: return "Sigmoid";
    case Kind::Tanh: return "Tanh";
    case Kind::GELU: return "GELU";
    case Kind::GELUTanh: return "GELU(tanh)";
    case Kind::Hardswish: return "Hardswish";
    case Kind::Identity: return "Identity";
  }
  return "?";
}

ActivationSpec activation_from_class(std::string_view class_name, float negative_slope) {
  // Accept a qualified class ("torch.nn.modules.activation.ReLU") or a yaml expression ("nn.ReLU()").
  std::string name = trim(class_name);
  if (ends_with(name, "()")) name.resize(name.size() - 2);
  if (const auto dot = name.rfind('.'); dot != std::string::npos) name = name.substr(dot + 1);
  using K = ActivationSpec::Kind;
  ActivationSpec a;
  if (name == "SiLU") a.kind = K::SiLU;
  else if (name == "ReLU") a.kind = K::ReLU;
  else if (name == "ReLU6") a.kind = K::ReLU6;
  else if (name == "LeakyReLU") a.kind = K::LeakyReLU, a.negative_slope = negative_slope;
  else if (name == "Sigmoid") a.kind = K::Sigmoid;
  else if (name == "Tanh") a.kind = K::Tanh;
  else if (name == "GELU") a.kind = K::GELU;
  else if (name == "Hardswish") a.kind = K::Hardswish;
  else if (name == "Identity") a.kind = K::Identity;
  else
    fail("unsupported YOLO activation ", std::string(class_name),
         " (supported: SiLU, ReLU, ReLU6, LeakyReLU, Sigmoid, Tanh, GELU, Hardswish, Identity)");
  return a;
}

Tensor apply_activation(const Tensor& x, const ActivationSpec& act) {
  using K = ActivationSpec::Kind;
  switch (act.kind) {
    case K::SiLU: return ops::silu(x);
    case K::ReLU: return ops::relu(x);
    case K::ReLU6: return ops::clamp(x, 0.0f, 6.0f);
    case K::LeakyReLU: return ops::leaky_relu(x, act.negative_slope);
    case K::Sigmoid: return ops::sigmoid(x);
    case K::Tanh: return ops::tanh(x);
    case K::GELU: return ops::gelu(x);
    case K::GELUTanh: return ops::gelu_tanh(x);
    // x · relu6(x + 3) / 6
    case K::Hardswish: return ops::mul(x, ops::scale(ops::clamp(ops::affine(x, 1.0f, 3.0f), 0.0f, 6.0f), 1.0f / 6.0f));
    case K::Identity: return x;
  }
  return x;
}

}  // namespace fluxgen::yolo
