// ADetailer's prompts per detection (scripts/!adetailer.py _get_prompt, i2i_prompts_replace):
// ad_prompt is split on "[SEP]" with the whitespace around each separator (re.split(r"\s*\[SEP\]\s*")),
// an empty piece becomes the generation's own prompt and "[PROMPT]" inside a piece is replaced by
// it; mask j uses piece min(j, pieces − 1). A piece that is just "[SKIP]" skips that mask.
#pragma once
#include <string>
#include <string_view>
#include <vector>

namespace fluxgen::adetailer {

std::vector<std::string> split_ad_prompt(std::string_view ad_prompt, std::string_view generation_prompt);

// The prompt for mask j (0-based) among the pieces above.
const std::string& prompt_for_mask(const std::vector<std::string>& pieces, size_t j);

// re.match(r"^\s*\[SKIP\]\s*$", prompt).
bool is_skip_prompt(std::string_view prompt);

}  // namespace fluxgen::adetailer
