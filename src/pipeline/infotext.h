// The A1111/Forge "infotext": the generation parameters stored in every image ("parameters" PNG
// text, EXIF UserComment in JPEG/WebP), pasted back by users, read by Civitai. Written exactly as
// processing.py create_infotext and read back as infotext_utils.parse_generation_parameters:
//
//   <prompt>
//   Negative prompt: <negative prompt>            (only when there is one)
//   Steps: 12, Sampler: Euler, ..., Version: f2.0.1v1.10.1
//
// Values holding ',', ':' or a newline are written as JSON strings (A1111's quote()).
#pragma once
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace fluxgen {

using InfotextParams = std::vector<std::pair<std::string, std::string>>;

struct Infotext {
  std::string prompt;
  std::string negative_prompt;
  InfotextParams params;  // in order, values unquoted

  // The value of the first parameter named `key`, or nullopt.
  std::optional<std::string> get(std::string_view key) const;
};

// A1111's quote(): the value as a JSON string (non-ASCII kept) when it contains ',', ':' or '\n'.
// Also quoted here: a value that starts and ends with '"', which A1111 would write bare and then
// misread as JSON on parsing.
std::string infotext_quote(std::string_view value);

// The parameters text. A parameter whose value equals its key is written as the key alone (as
// A1111 does); the whole text is stripped of surrounding whitespace, as Python's str.strip().
std::string build_infotext(const Infotext& info);

// A1111's parse_generation_parameters: the last line holds the parameters when at least three
// "key: value" pairs are found on it; lines before "Negative prompt:" are the prompt (each line
// stripped), the rest the negative prompt; quoted values are unquoted. Size-like values ("896x1152")
// stay whole here (A1111 splits them into "Size-1"/"Size-2"; see infotext_size()).
Infotext parse_infotext(std::string_view text);

// "896x1152" -> (896, 1152); nullopt for anything else.
std::optional<std::pair<int, int>> infotext_size(std::string_view value);

// Numbers as A1111 writes them: integral values without a decimal point ("CFG scale: 1"), others
// in the shortest form that reads back exactly ("Distilled CFG Scale: 3.5", "Denoising strength:
// 0.3").
std::string infotext_number(double value);

}  // namespace fluxgen
