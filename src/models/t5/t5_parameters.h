// Every parameter of a T5 encoder in Hugging Face's names (t5xxl_fp16.safetensors), with its shape,
// from a configuration: random-weight text encoders of FLUX.1-dev's real size for benchmarks.
#pragma once
#include <map>
#include <string>

#include "models/t5/t5_config.h"

namespace fluxgen::t5 {

// The embedding as "shared.weight" (the copy "encoder.embed_tokens.weight" some files add is left
// out); the relative attention bias in block 0 only, as T5 has it.
std::map<std::string, Shape> t5_parameter_shapes(const T5Config& c);

}  // namespace fluxgen::t5
