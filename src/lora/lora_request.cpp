#include "lora/lora_request.h"

#include <cmath>
#include <cstdlib>

#include "util/error.h"

namespace fluxgen::lora {

LoraRequest parse_lora_argument(const std::string& text) {
  LoraRequest r{text, 1.0f};
  const size_t colon = text.rfind(':');
  if (colon != std::string::npos && colon + 1 < text.size()) {
    const std::string tail = text.substr(colon + 1);
    char* end = nullptr;
    const double v = std::strtod(tail.c_str(), &end);
    if (end && *end == '\0' && end != tail.c_str()) {
      check(std::isfinite(v) && std::fabs(v) <= 100.0, "LoRA weight ", tail, " in \"", text, "\" is not a sensible number");
      r.path = text.substr(0, colon);
      r.multiplier = static_cast<float>(v);
    }
  }
  check(!r.path.empty(), "empty LoRA file name in \"", text, "\"");
  return r;
}

}  // namespace fluxgen::lora
