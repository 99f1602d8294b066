// Python's html.unescape: named (HTML5) and numeric character references to text. OpenAI's CLIP
// tokenizer cleans every prompt with it (twice), so "Tom &amp; Jerry" tokenizes as "Tom & Jerry".
#pragma once
#include <string>
#include <string_view>

namespace fluxgen {

std::string html_unescape(std::string_view text);

}  // namespace fluxgen
