#include "text/prompt.h"

#include <cmath>
#include <cstdlib>
#include <map>

#include "text/unicode.h"
#include "util/error.h"
#include "util/strings.h"
#include "util/utf8.h"

namespace fluxgen {

namespace {
// Python's \w: letters, numbers and the underscore.
bool is_word(char32_t c) { return c == U'_' || unicode::is_letter(c) || unicode::is_number(c); }

// Python's float() on a tag argument: surrounding white space allowed, nothing else.
float parse_weight(const std::string& text, const std::string& tag) {
  const std::string t = trim(text);
  char* end = nullptr;
  const double v = std::strtod(t.c_str(), &end);
  if (t.empty() || end != t.c_str() + t.size() || !std::isfinite(v) || std::fabs(v) > 1e4)
    fail("prompt: ", tag, ": weight \"", text, "\" is not a number");
  return static_cast<float>(v);
}

PromptLora lora_from_tag(const std::string& tag, const std::vector<std::string>& items) {
  // A1111's ExtraNetworkParams: "key=value" items are named, the others positional.
  std::vector<std::string> positional;
  std::map<std::string, std::string> named;
  for (const auto& item : items) {
    const size_t eq = item.find('=');
    if (eq != std::string::npos && item.find('=', eq + 1) == std::string::npos)
      named[item.substr(0, eq)] = item.substr(eq + 1);
    else
      positional.push_back(item);
  }
  if (positional.empty() || trim(positional[0]).empty()) fail("prompt: ", tag, " names no LoRA");
  PromptLora l;
  l.name = positional[0];
  l.tag = tag;
  // extra_networks_lora.py: te = positional[1] or 1, then te=...; unet = positional[2] or te, then unet=...
  l.text_encoder_weight = positional.size() > 1 ? parse_weight(positional[1], tag) : 1.0f;
  if (named.count("te")) l.text_encoder_weight = parse_weight(named["te"], tag);
  l.weight = positional.size() > 2 ? parse_weight(positional[2], tag) : l.text_encoder_weight;
  if (named.count("unet")) l.weight = parse_weight(named["unet"], tag);
  return l;
}
}  // namespace

ParsedPrompt parse_prompt(std::string_view prompt) {
  ParsedPrompt out;
  const std::u32string s = utf8_to_code_points(prompt);
  std::u32string text;
  // Once a tag start finds no '>' after it, none later can: stop looking (keeps this linear).
  bool closing_ahead = true;
  size_t i = 0;
  while (i < s.size()) {
    if (s[i] == U'<' && closing_ahead) {
      size_t j = i + 1;
      while (j < s.size() && is_word(s[j])) ++j;
      const size_t colon = j;
      if (colon > i + 1 && colon < s.size() && s[colon] == U':') {
        size_t k = colon + 1;
        while (k < s.size() && s[k] != U'>') ++k;
        if (k == s.size()) closing_ahead = false;
        if (k < s.size() && k > colon + 1) {
          const std::string kind = to_lower(code_points_to_utf8(s.substr(i + 1, colon - i - 1)));
          const std::string args = code_points_to_utf8(s.substr(colon + 1, k - colon - 1));
          const std::string tag = code_points_to_utf8(s.substr(i, k - i + 1));
          if (kind == "lora" || kind == "lyco") {
            out.loras.push_back(lora_from_tag(tag, split(args, ':')));
          } else {
            out.warnings.push_back("prompt: " + tag + " removed: FLUX has no \"" + kind + "\" networks");
          }
          i = k + 1;
          continue;
        }
      }
    }
    text.push_back(s[i]);
    ++i;
  }
  out.text = code_points_to_utf8(text);
  return out;
}

}  // namespace fluxgen
