#include "pipeline/adetailer/ad_prompts.h"

#include "util/error.h"

namespace fluxgen::adetailer {

namespace {

// Python's \s for str patterns: Unicode whitespace (str.isspace). Returns the byte length of the
// whitespace character at `i`, or 0.
size_t space_at(std::string_view s, size_t i) {
  const auto c = static_cast<unsigned char>(s[i]);
  if (c == ' ' || (c >= 0x09 && c <= 0x0D) || (c >= 0x1C && c <= 0x1F)) return 1;
  auto cont = [&](size_t k) { return i + k < s.size() ? static_cast<unsigned char>(s[i + k]) : 0u; };
  if (c == 0xC2 && (cont(1) == 0x85 || cont(1) == 0xA0)) return 2;                    // U+0085, U+00A0
  if (c == 0xE1 && cont(1) == 0x9A && cont(2) == 0x80) return 3;                      // U+1680
  if (c == 0xE2 && cont(1) == 0x80 && ((cont(2) >= 0x80 && cont(2) <= 0x8A) || cont(2) == 0xA8 ||
                                       cont(2) == 0xA9 || cont(2) == 0xAF))
    return 3;                                                                         // U+2000–200A, 2028, 2029, 202F
  if (c == 0xE2 && cont(1) == 0x81 && cont(2) == 0x9F) return 3;                      // U+205F
  if (c == 0xE3 && cont(1) == 0x80 && cont(2) == 0x80) return 3;                      // U+3000
  return 0;
}

size_t skip_space(std::string_view s, size_t i) {
  while (i < s.size()) {
    const size_t n = space_at(s, i);
    if (!n) break;
    i += n;
  }
  return i;
}

// The end of `s` with trailing whitespace removed (whitespace characters are recognised forward,
// so multi-byte ones are found whole).
size_t trimmed_end(std::string_view s) {
  size_t end = 0;
  for (size_t i = 0; i < s.size();) {
    const size_t n = space_at(s, i);
    if (n) {
      i += n;
    } else {
      ++i;
      end = i;
    }
  }
  return end;
}

}  // namespace

std::vector<std::string> split_ad_prompt(std::string_view ad_prompt, std::string_view generation_prompt) {
  constexpr std::string_view sep = "[SEP]";
  std::vector<std::string> pieces;
  size_t start = 0;
  for (size_t at = ad_prompt.find(sep); at != std::string_view::npos; at = ad_prompt.find(sep, start)) {
    const std::string_view piece = ad_prompt.substr(start, at - start);
    pieces.emplace_back(piece.substr(0, trimmed_end(piece)));
    start = skip_space(ad_prompt, at + sep.size());
  }
  pieces.emplace_back(ad_prompt.substr(start));
  for (std::string& p : pieces) {
    if (p.empty()) {
      p = generation_prompt;
      continue;
    }
    constexpr std::string_view marker = "[PROMPT]";
    for (size_t at = p.find(marker); at != std::string::npos; at = p.find(marker, at + generation_prompt.size()))
      p.replace(at, marker.size(), generation_prompt);
  }
  return pieces;
}

const std::string& prompt_for_mask(const std::vector<std::string>& pieces, size_t j) {
  check(!pieces.empty(), "ADetailer: no prompt pieces");
  return pieces[std::min(j, pieces.size() - 1)];
}

bool is_skip_prompt(std::string_view prompt) {
  const size_t start = skip_space(prompt, 0);
  constexpr std::string_view skip = "[SKIP]";
  if (prompt.substr(start, skip.size()) != skip) return false;
  return skip_space(prompt, start + skip.size()) == prompt.size();
}

}  // namespace fluxgen::adetailer
