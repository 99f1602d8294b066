#include "text/html_unescape.h"

#include <algorithm>
#include <cstring>

#include "text/html_entities.h"
#include "util/utf8.h"

namespace fluxgen {

namespace {
using html_entities::NamedReference;

const NamedReference* find_named(std::string_view name) {
  const auto& table = html_entities::named;
  auto it = std::lower_bound(table.begin(), table.end(), name,
                             [](const NamedReference& e, std::string_view n) { return std::string_view(e.name) < n; });
  return it != table.end() && std::string_view(it->name) == name ? &*it : nullptr;
}

bool is_ascii_digit(char c) { return c >= '0' && c <= '9'; }
bool is_ascii_hex(char c) { return is_ascii_digit(c) || ((c | 32) >= 'a' && (c | 32) <= 'f'); }

// The text a numeric reference stands for, with HTML5's remaps and exclusions.
std::string numeric_value(std::string_view digits, int base) {
  // Anything longer than 8 significant digits is beyond U+10FFFF in either base.
  size_t first = digits.find_first_not_of('0');
  std::string_view sig = first == std::string_view::npos ? std::string_view() : digits.substr(first);
  char32_t v = 0;
  bool too_big = sig.size() > 8;
  if (!too_big) {
    uint64_t n = 0;
    for (char c : sig) n = n * base + static_cast<uint64_t>(is_ascii_digit(c) ? c - '0' : (c | 32) - 'a' + 10);
    too_big = n > 0x10FFFF;
    v = static_cast<char32_t>(n);
  }
  std::string out;
  for (const auto& r : html_entities::numeric_remaps) {
    if (!too_big && r.from == v) {
      append_utf8(out, r.to);
      return out;
    }
  }
  if (too_big || (v >= 0xD800 && v <= 0xDFFF)) {
    append_utf8(out, 0xFFFD);
    return out;
  }
  if (std::binary_search(html_entities::dropped_code_points.begin(), html_entities::dropped_code_points.end(), v))
    return out;
  append_utf8(out, v);
  return out;
}

bool is_name_char(char c) { return c != '\t' && c != '\n' && c != '\f' && c != ' ' && c != '<' && c != '&' && c != '#' && c != ';'; }
}  // namespace

std::string html_unescape(std::string_view s) {
  if (s.find('&') == std::string_view::npos) return std::string(s);
  std::string out;
  out.reserve(s.size());
  size_t i = 0;
  while (i < s.size()) {
    if (s[i] != '&') {
      out.push_back(s[i++]);
      continue;
    }
    const size_t start = i + 1;
    // Numeric: &#123; or &#x1F600; (the semicolon is optional).
    if (start < s.size() && s[start] == '#') {
      const bool hex = start + 1 < s.size() && (s[start + 1] == 'x' || s[start + 1] == 'X');
      size_t j = start + (hex ? 2 : 1);
      const size_t digits_begin = j;
      while (j < s.size() && (hex ? is_ascii_hex(s[j]) : is_ascii_digit(s[j]))) ++j;
      if (j > digits_begin) {
        out += numeric_value(s.substr(digits_begin, j - digits_begin), hex ? 16 : 10);
        i = j < s.size() && s[j] == ';' ? j + 1 : j;
        continue;
      }
      out.push_back('&');
      ++i;
      continue;
    }
    // Named: up to 32 characters (Python counts code points) and an optional ';'.
    size_t j = start, chars = 0;
    while (j < s.size() && chars < 32 && is_name_char(s[j])) {
      const size_t len = std::max<size_t>(1, utf8_sequence_length(s.substr(j)));
      j += len;
      ++chars;
    }
    if (j == start) {
      out.push_back('&');
      ++i;
      continue;
    }
    if (j < s.size() && s[j] == ';') ++j;
    const std::string_view ref = s.substr(start, j - start);
    if (const NamedReference* e = find_named(ref)) {
      out += e->value;
      i = j;
      continue;
    }
    // The longest prefix (at least two characters) that is a legacy reference valid without ';'.
    bool found = false;
    for (size_t len = ref.size() - 1; len >= 2; --len) {
      if (const NamedReference* e = find_named(ref.substr(0, len))) {
        out += e->value;
        out += ref.substr(len);
        found = true;
        break;
      }
    }
    if (!found) {
      out.push_back('&');
      out += ref;
    }
    i = j;
  }
  return out;
}

}  // namespace fluxgen
