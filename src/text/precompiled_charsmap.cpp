#include "text/precompiled_charsmap.h"

#include <cstring>

#include "util/error.h"

namespace fluxgen {

namespace {
// A Darts-clone unit: bits 0-7 label, bit 8 has_leaf, bit 9 offset scale, bits 10-31 offset; a
// leaf unit (bit 31 set in its label) holds a 31-bit value instead.
bool has_leaf(uint32_t u) { return (u >> 8) & 1; }
uint32_t value(uint32_t u) { return u & 0x7FFFFFFFu; }
uint32_t label(uint32_t u) { return u & (0x80000000u | 0xFFu); }
uint32_t offset(uint32_t u) { return (u >> 10) << ((u & (1u << 9)) >> 6); }
}  // namespace

PrecompiledCharsmap::PrecompiledCharsmap(std::string_view blob, const std::string& what) {
  if (blob.size() < 4) fail(what, ": precompiled charsmap of ", blob.size(), " bytes is too short");
  const auto* b = reinterpret_cast<const unsigned char*>(blob.data());
  const uint32_t trie_bytes = uint32_t(b[0]) | (uint32_t(b[1]) << 8) | (uint32_t(b[2]) << 16) | (uint32_t(b[3]) << 24);
  if (trie_bytes == 0 || trie_bytes % 4 != 0 || trie_bytes > blob.size() - 4)
    fail(what, ": precompiled charsmap declares a trie of ", trie_bytes, " bytes in a blob of ", blob.size());
  units_.resize(trie_bytes / 4);
  for (size_t i = 0; i < units_.size(); ++i) {
    const unsigned char* p = b + 4 + 4 * i;
    units_[i] = uint32_t(p[0]) | (uint32_t(p[1]) << 8) | (uint32_t(p[2]) << 16) | (uint32_t(p[3]) << 24);
  }
  replacements_.assign(blob.substr(4 + trie_bytes));
  if (!replacements_.empty() && replacements_.back() != '\0')
    fail(what, ": precompiled charsmap's replacement strings are not NUL-terminated");
}

std::optional<PrecompiledCharsmap::Match> PrecompiledCharsmap::longest_prefix(std::string_view input) const {
  if (units_.empty()) return std::nullopt;
  std::optional<Match> best;
  const size_t n = units_.size();
  size_t pos = offset(units_[0]);
  for (size_t i = 0; i < input.size(); ++i) {
    const auto c = static_cast<unsigned char>(input[i]);
    pos ^= c;
    if (pos >= n || label(units_[pos]) != c) break;
    const uint32_t unit = units_[pos];
    pos ^= offset(unit);
    if (has_leaf(unit)) {
      // A hostile blob may point anywhere: a value outside the strings is no rule at all.
      if (pos >= n) break;
      const uint32_t v = value(units_[pos]);
      if (v < replacements_.size()) best = Match{std::string_view(replacements_.data() + v), i + 1};
    }
  }
  return best;
}

}  // namespace fluxgen
