// How faithfully a setting (a weight storage, a LoRA mode) reproduces a LoRA's own change, against
// a reference setting: ‖(with − without) − (ref_with − ref_without)‖ / ‖ref_with − ref_without‖.
// 0 is the reference's change exactly, 1 an error as large as the change itself. The base model's
// own quantization error cancels out (it is in both `with` and `without`), so this isolates the
// LoRA. Used by bench/flux_lora_quality_bench (on transformer outputs) and `fluxgen compare` (on
// images).
#pragma once
#include <optional>

#include "tensor/tensor.h"

namespace fluxgen::lora {

// Four host tensors of one element count (any float dtype). nullopt when the reference's change is
// nil: there is nothing to measure against.
std::optional<double> lora_effect_error(const Tensor& with, const Tensor& without, const Tensor& ref_with,
                                        const Tensor& ref_without);

}  // namespace fluxgen::lora
