#include "text/unicode_normalization.h"

#include <algorithm>

#include "text/unicode_tables.h"

namespace fluxgen::unicode {

namespace {
// Hangul syllables are composed arithmetically (Unicode 3.12).
constexpr char32_t kSBase = 0xAC00, kLBase = 0x1100, kVBase = 0x1161, kTBase = 0x11A7;
constexpr char32_t kLCount = 19, kVCount = 21, kTCount = 28, kNCount = kVCount * kTCount, kSCount = kLCount * kNCount;

void decompose_into(char32_t c, std::u32string& out) {
  if (c >= kSBase && c < kSBase + kSCount) {
    const char32_t s = c - kSBase;
    out.push_back(kLBase + s / kNCount);
    out.push_back(kVBase + (s % kNCount) / kTCount);
    if (s % kTCount) out.push_back(kTBase + s % kTCount);
    return;
  }
  const auto& table = unicode_tables::decompositions;
  auto it = std::lower_bound(table.begin(), table.end(), c,
                             [](const unicode_tables::Decomposition& d, char32_t v) { return d.code_point < v; });
  if (it == table.end() || it->code_point != c) {
    out.push_back(c);
    return;
  }
  decompose_into(it->first, out);
  if (it->second) decompose_into(it->second, out);
}

char32_t compose(char32_t a, char32_t b) {
  if (a >= kLBase && a < kLBase + kLCount && b >= kVBase && b < kVBase + kVCount)
    return kSBase + ((a - kLBase) * kVCount + (b - kVBase)) * kTCount;
  if (a >= kSBase && a < kSBase + kSCount && (a - kSBase) % kTCount == 0 && b > kTBase && b < kTBase + kTCount)
    return a + (b - kTBase);
  const auto& table = unicode_tables::compositions;
  auto it = std::lower_bound(table.begin(), table.end(), std::pair{a, b},
                             [](const unicode_tables::Composition& x, std::pair<char32_t, char32_t> v) {
                               return x.first != v.first ? x.first < v.first : x.second < v.second;
                             });
  return it != table.end() && it->first == a && it->second == b ? it->composite : 0;
}
}  // namespace

int combining_class(char32_t c) {
  const auto& table = unicode_tables::combining_classes;
  auto it = std::upper_bound(table.begin(), table.end(), c,
                             [](char32_t v, const unicode_tables::CombiningClass& r) { return v < r.first; });
  if (it == table.begin() || c > std::prev(it)->last) return 0;
  return static_cast<int>(std::prev(it)->combining_class);
}

std::u32string nfc(std::u32string_view s) {
  // Below U+00C0 nothing decomposes or combines (the common case).
  if (std::all_of(s.begin(), s.end(), [](char32_t c) { return c < 0xC0; })) return std::u32string(s);
  std::u32string d;
  d.reserve(s.size() + 8);
  for (char32_t c : s) decompose_into(c, d);
  // Canonical ordering: stable sort of each run of non-starters by combining class.
  for (size_t i = 0; i < d.size();) {
    if (combining_class(d[i]) == 0) {
      ++i;
      continue;
    }
    size_t j = i;
    while (j < d.size() && combining_class(d[j]) != 0) ++j;
    std::stable_sort(d.begin() + static_cast<std::ptrdiff_t>(i), d.begin() + static_cast<std::ptrdiff_t>(j),
                     [](char32_t a, char32_t b) { return combining_class(a) < combining_class(b); });
    i = j;
  }
  // Canonical composition (UAX #15): a character joins the last starter unless blocked.
  if (d.empty()) return d;
  size_t starter = 0, out = 1;
  int last_class = combining_class(d[0]) == 0 ? 0 : 256;
  for (size_t i = 1; i < d.size(); ++i) {
    const char32_t c = d[i];
    const int cls = combining_class(c);
    const char32_t composite = compose(d[starter], c);
    if (composite && (last_class < cls || last_class == 0)) {
      d[starter] = composite;
      continue;
    }
    if (cls == 0) starter = out;
    last_class = cls;
    d[out++] = c;
  }
  d.resize(out);
  return d;
}

}  // namespace fluxgen::unicode
