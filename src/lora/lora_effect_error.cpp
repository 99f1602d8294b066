#include "lora/lora_effect_error.h"

#include <cmath>
#include <vector>

#include "tensor/convert.h"
#include "util/error.h"

namespace fluxgen::lora {

std::optional<double> lora_effect_error(const Tensor& with, const Tensor& without, const Tensor& ref_with,
                                        const Tensor& ref_without) {
  for (const Tensor* t : {&without, &ref_with, &ref_without})
    check(t->numel() == with.numel(), "LoRA effect error: tensors of different sizes (", with.describe(), " vs ",
          t->describe(), ")");
  const std::vector<float> a = to_vector(with), b = to_vector(without), c = to_vector(ref_with),
                           d = to_vector(ref_without);
  double error = 0, effect = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    const double ref_change = double(c[i]) - d[i];
    const double e = (double(a[i]) - b[i]) - ref_change;
    error += e * e;
    effect += ref_change * ref_change;
  }
  if (effect == 0) return std::nullopt;
  return std::sqrt(error / effect);
}

}  // namespace fluxgen::lora
