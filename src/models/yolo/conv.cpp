#include "models/yolo/conv.h"

#include <cmath>

#include "backend/ops.h"
#include "tensor/convert.h"
#include "util/error.h"
#include "util/strings.h"

namespace fluxgen::yolo {

Scope Scope::sub(std::string_view child) const {
  return Scope{w.sub(child), path.empty() ? std::string(child) : path + "." + std::string(child), info};
}

Conv::Conv(const Scope& s, int64_t in, int64_t out, int stride) {
  const Weights& w = s.w;
  const Shape ws = w.shape("conv.weight");
  if (ws.size() != 4 || ws[1] != in || ws[2] != ws[3] || ws[2] % 2 != 1 || (out > 0 && ws[0] != out))
    fail(w.store().source(), ": tensor ", w.key("conv.weight"), " has shape ", shape_string(ws), ", expected [",
         out > 0 ? std::to_string(out) : std::string("out"), ", ", in, ", k, k] with an odd k");
  const int64_t O = ws[0], per_out = ws[1] * ws[2] * ws[3];
  const int k = static_cast<int>(ws[2]);
  act_ = s.info->activation_of(s.path);
  if (!w.has("bn.weight") && w.has("conv.bias")) {
    // Already fused (Ultralytics' fuse() before saving or exporting): conv with bias, no bn.
    conv_ = nn::Conv2d(ops::to_compute(w.get("conv.weight")), ops::to_compute(w.get("conv.bias", {O})), stride, k / 2);
    return;
  }
  // Folded on the host (in double), then placed where the store keeps the weights.
  const auto host = [&w](const char* name, const Shape& shape) { return to_vector(ops::to_host(w.get(name, shape))); };
  const std::vector<float> weight = host("conv.weight", ws);
  const std::vector<float> gamma = host("bn.weight", {O});
  const std::vector<float> beta = host("bn.bias", {O});
  const std::vector<float> mean = host("bn.running_mean", {O});
  const std::vector<float> var = host("bn.running_var", {O});
  const double eps = s.info->batchnorm_eps_of(s.path + ".bn");
  Tensor folded = Tensor::empty({ws[0], ws[1], ws[2], ws[3]});
  Tensor bias = Tensor::empty({O});
  for (int64_t o = 0; o < O; ++o) {
    const double v = static_cast<double>(var[static_cast<size_t>(o)]) + eps;
    check(v > 0 && std::isfinite(v), w.store().source(), ": tensor ", w.key("bn.running_var"), " has a negative or "
          "non-finite variance at channel ", o);
    const double k = gamma[static_cast<size_t>(o)] / std::sqrt(v);
    for (int64_t i = 0; i < per_out; ++i)
      folded.f32()[o * per_out + i] = static_cast<float>(weight[static_cast<size_t>(o * per_out + i)] * k);
    bias.f32()[o] = static_cast<float>(beta[static_cast<size_t>(o)] - mean[static_cast<size_t>(o)] * k);
  }
  conv_ = nn::Conv2d(w.place(folded), w.place(bias), stride, k / 2);
}

Tensor Conv::forward(const Tensor& x) const { return apply_activation(conv_.forward(x), act_); }

}  // namespace fluxgen::yolo
