// A LoRA the user asked for: the CLI's --lora FILE:WEIGHT or a prompt's <lora:NAME:WEIGHT>.
#pragma once
#include <string>

namespace fluxgen::lora {

struct LoraRequest {
  std::string path;  // a file path, or a name to resolve in the LoRA folders
  float multiplier = 1.0f;
};

// "FILE:0.8" -> {FILE, 0.8}; "FILE" -> {FILE, 1}. Only a trailing ":number" is a multiplier, so
// paths containing ':' still work. Throws on an empty path or a non-finite multiplier.
LoraRequest parse_lora_argument(const std::string& text);

}  // namespace fluxgen::lora
