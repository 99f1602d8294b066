// Reads a LoRA file of any naming into the canonical LoraSet. Kinds fluxgen does not implement
// (LoKr, LoHa, DoRA, full weight differences, convolution LoRAs) are named: a warning when the
// file also holds plain LoRA modules, an error when it holds nothing else. Keys that match no
// weight are listed in a warning; a file that matches nothing is an error.
#pragma once
#include <string>

#include "io/tensor_store.h"
#include "lora/lora_set.h"
#include "lora/target_resolver.h"

namespace fluxgen::lora {

LoraSet read_lora(const TensorStore& file, const TargetResolver& resolver);
LoraSet read_lora_file(const std::string& path, const TargetResolver& resolver);

}  // namespace fluxgen::lora
