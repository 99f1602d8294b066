#include "lora/lora_set.h"

namespace fluxgen::lora {

const char* component_name(Component c) {
  switch (c) {
    case Component::Transformer: return "transformer";
    case Component::ClipL: return "CLIP-L";
    case Component::T5: return "T5";
  }
  return "?";
}

}  // namespace fluxgen::lora
