// Every parameter of a CLIP text model in Hugging Face's names (clip_l.safetensors), with its
// shape, from a configuration: random-weight text encoders of real size for benchmarks.
#pragma once
#include <map>
#include <string>

#include "models/clip/clip_text_config.h"

namespace fluxgen::clip {

std::map<std::string, Shape> clip_parameter_shapes(const ClipTextConfig& c);

}  // namespace fluxgen::clip
