// The document's workflow presets ("fast", "quality", "max") as settings patches, and its prompt
// advice as named snippets.
#pragma once
#include <string>
#include <utility>
#include <vector>

#include "io/json.h"

namespace fluxgen {

struct Preset {
  std::string name;
  std::string description;
  json::Value patch;  // A1111 field names
};

const std::vector<Preset>& presets();
// Throws an Error listing the names when unknown.
const Preset& find_preset(const std::string& name);

struct PromptSnippet {
  std::string name;
  std::string text;
};
const std::vector<PromptSnippet>& prompt_snippets();

// JSON for GET /fluxgen/v1/presets and `fluxgen presets --json`.
json::Value presets_json();

}  // namespace fluxgen
