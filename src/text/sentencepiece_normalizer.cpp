#include "text/sentencepiece_normalizer.h"

#include "util/utf8.h"

namespace fluxgen {

namespace {
constexpr std::string_view kSpaceSymbol = "\xE2\x96\x81";  // U+2581
constexpr std::string_view kReplacementUtf8 = "\xEF\xBF\xBD";
}  // namespace

std::pair<std::string_view, size_t> SentencePieceNormalizer::next_piece(std::string_view input) const {
  if (auto m = charsmap_.longest_prefix(input)) return {m->replacement, m->consumed};
  const size_t n = utf8_sequence_length(input);
  if (n == 0) return {kReplacementUtf8, 1};
  return {input.substr(0, n), n};
}

std::string SentencePieceNormalizer::normalize(std::string_view input) const {
  std::string out;
  out.reserve(input.size() + 16);
  if (spec_.remove_extra_whitespaces) {
    while (!input.empty()) {
      const auto [piece, consumed] = next_piece(input);
      if (piece != " ") break;
      input.remove_prefix(consumed);
    }
  }
  if (input.empty()) return out;
  const std::string_view space = spec_.escape_whitespaces ? kSpaceSymbol : std::string_view(" ");
  if (spec_.add_dummy_prefix) out += space;
  bool prev_space = spec_.remove_extra_whitespaces;
  while (!input.empty()) {
    auto [piece, consumed] = next_piece(input);
    input.remove_prefix(consumed);
    if (prev_space) {
      while (!piece.empty() && piece.front() == ' ') piece.remove_prefix(1);
    }
    if (!piece.empty()) {
      for (char c : piece) {
        if (c == ' ') out += space;
        else out.push_back(c);
      }
      prev_space = piece.back() == ' ';
    }
    if (!spec_.remove_extra_whitespaces) prev_space = false;
  }
  if (spec_.remove_extra_whitespaces) {
    while (out.size() >= space.size() && std::string_view(out).substr(out.size() - space.size()) == space)
      out.resize(out.size() - space.size());
  }
  return out;
}

}  // namespace fluxgen
