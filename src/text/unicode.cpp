#include "text/unicode.h"

#include <algorithm>

#include "text/unicode_tables.h"

namespace fluxgen::unicode {

namespace {
using unicode_tables::CodeRange;

bool in_ranges(std::span<const CodeRange> ranges, char32_t c) { return in_table(ranges, c); }

char32_t lower_simple(char32_t c) {
  if (c < 0x80) return (c >= 'A' && c <= 'Z') ? c + 32 : c;
  const auto& runs = unicode_tables::lower_runs;
  auto it = std::upper_bound(runs.begin(), runs.end(), c,
                             [](char32_t v, const unicode_tables::LowerRun& r) { return v < r.first; });
  if (it == runs.begin()) return c;
  const auto& r = *std::prev(it);
  if (c > r.last || (c - r.first) % r.stride != 0) return c;
  return static_cast<char32_t>(static_cast<int64_t>(c) + r.delta);
}

bool is_cased(char32_t c) { return in_ranges(unicode_tables::cased, c); }
bool is_case_ignorable(char32_t c) { return in_ranges(unicode_tables::case_ignorable, c); }

constexpr char32_t kCapitalSigma = 0x3A3, kSmallSigma = 0x3C3, kFinalSigma = 0x3C2;

// CPython's rule (unicodeobject.c handle_capital_sigma): final form when the nearest character
// before that is not case-ignorable is cased, and the nearest such character after is not.
bool final_sigma_at(std::u32string_view s, size_t i) {
  size_t j = i;
  while (j > 0 && is_case_ignorable(s[j - 1])) --j;
  if (j == 0 || !is_cased(s[j - 1])) return false;
  size_t k = i + 1;
  while (k < s.size() && is_case_ignorable(s[k])) ++k;
  return k == s.size() || !is_cased(s[k]);
}
}  // namespace

bool in_table(std::span<const unicode_tables::CodeRange> table, char32_t c) {
  auto it = std::upper_bound(table.begin(), table.end(), c,
                             [](char32_t v, const unicode_tables::CodeRange& r) { return v < r.first; });
  return it != table.begin() && c <= std::prev(it)->last;
}

bool is_letter(char32_t c) {
  if (c < 0x80) return (c | 32) >= 'a' && (c | 32) <= 'z';
  return in_ranges(unicode_tables::letters, c);
}

bool is_number(char32_t c) {
  if (c < 0x80) return c >= '0' && c <= '9';
  return in_ranges(unicode_tables::numbers, c);
}

bool is_whitespace(char32_t c) { return in_ranges(unicode_tables::whitespace, c); }

std::u32string python_lower(std::u32string_view s) {
  std::u32string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    const char32_t c = s[i];
    if (c == 0x130) {  // the one code point whose lower case is two: i + combining dot above
      out.push_back(U'i');
      out.push_back(0x307);
    } else if (c == kCapitalSigma) {
      out.push_back(final_sigma_at(s, i) ? kFinalSigma : kSmallSigma);
    } else {
      out.push_back(lower_simple(c));
    }
  }
  return out;
}

}  // namespace fluxgen::unicode
