#include "text/ftfy_fixes.h"

#include <algorithm>

#include "text/html_entities.h"
#include "text/html_unescape.h"
#include "text/unicode_normalization.h"
#include "text/unicode_tables.h"
#include "util/utf8.h"

namespace fluxgen {

namespace {
constexpr int kMaxPasses = 32;

bool is_ascii_alnum(char32_t c) { return (c >= '0' && c <= '9') || ((c | 32) >= 'a' && (c | 32) <= 'z'); }

const char* find_entity(std::span<const html_entities::NamedReference> table, const std::string& name) {
  auto it = std::lower_bound(table.begin(), table.end(), name, [](const html_entities::NamedReference& e,
                                                                  const std::string& n) { return e.name < n; });
  return it != table.end() && it->name == name ? it->value : nullptr;
}

// fixes.unescape_html: "&name;" / "&#123;" (1 to 24 ASCII letters or digits), nothing looser.
std::u32string unescape_entities(std::u32string_view s) {
  std::u32string out;
  size_t i = 0;
  while (i < s.size()) {
    if (s[i] == U'&') {
      size_t j = i + 1;
      const bool numeric = j < s.size() && s[j] == U'#';
      if (numeric) ++j;
      const size_t begin = j;
      while (j < s.size() && j - begin < 24 && is_ascii_alnum(s[j])) ++j;
      if (j > begin && j < s.size() && s[j] == U';') {
        const std::string entity = code_points_to_utf8(s.substr(i, j + 1 - i));
        std::string value;
        bool decoded = false;
        if (numeric) {
          value = html_unescape(entity);
          decoded = value.find(';') == std::string::npos;
        } else {
          const std::string name = entity.substr(1);
          const char* v = find_entity(html_entities::named, name);
          if (!v) v = find_entity(html_entities::uppercase_named, name);
          if (v) {
            value = v;
            decoded = true;
          }
        }
        if (decoded) {
          out += utf8_to_code_points(value);
          i = j + 1;
          continue;
        }
      }
    }
    out.push_back(s[i++]);
  }
  return out;
}

// fixes.fix_c1_controls: U+0080..U+009F as the Windows-1252 bytes they usually were (the bytes
// Windows-1252 leaves undefined stay as they are), the table HTML uses for "&#128;" too.
char32_t c1_as_windows_1252(char32_t c) {
  for (const auto& r : html_entities::numeric_remaps)
    if (r.from == c) return r.to;
  return c;
}

// chardata.LIGATURES.
std::u32string_view latin_ligature(char32_t c) {
  switch (c) {
    case 0x132: return U"IJ";
    case 0x133: return U"ij";
    case 0x149: return U"\u02BCn";
    case 0x1F1: return U"DZ";
    case 0x1F2: return U"Dz";
    case 0x1F3: return U"dz";
    case 0x1C4: return U"D\u017D";
    case 0x1C5: return U"D\u017E";
    case 0x1C6: return U"d\u017E";
    case 0x1C7: return U"LJ";
    case 0x1C8: return U"Lj";
    case 0x1C9: return U"lj";
    case 0x1CA: return U"NJ";
    case 0x1CB: return U"Nj";
    case 0x1CC: return U"nj";
    case 0xFB00: return U"ff";
    case 0xFB01: return U"fi";
    case 0xFB02: return U"fl";
    case 0xFB03: return U"ffi";
    case 0xFB04: return U"ffl";
    case 0xFB05: return U"\u017Ft";
    case 0xFB06: return U"st";
    default: return {};
  }
}

// chardata.CONTROL_CHARS.
bool is_removed_control(char32_t c) {
  return c <= 0x08 || c == 0x0B || (c >= 0x0E && c <= 0x1F) || c == 0x7F || (c >= 0x206A && c <= 0x206F) ||
         c == 0xFEFF || (c >= 0xFFF9 && c <= 0xFFFC);
}

// The per-character fixers, in ftfy's order.
std::u32string fix_characters(std::u32string_view s) {
  std::u32string a;
  a.reserve(s.size());
  for (char32_t c : s) {
    if (c >= 0x80 && c <= 0x9F) c = c1_as_windows_1252(c);
    if (const auto lig = latin_ligature(c); !lig.empty()) {
      a += lig;
      continue;
    }
    a.push_back(c);
  }
  std::u32string b;
  b.reserve(a.size());
  const auto& width = unicode_tables::width_map;
  for (char32_t c : a) {
    auto it = std::lower_bound(width.begin(), width.end(), c,
                               [](const unicode_tables::WidthMapping& m, char32_t v) { return m.code_point < v; });
    if (it != width.end() && it->code_point == c) {
      b.push_back(it->first);
      if (it->second) b.push_back(it->second);
      continue;
    }
    if (c == 0x2BC || (c >= 0x2018 && c <= 0x201B)) c = U'\'';
    else if (c >= 0x201C && c <= 0x201F) c = U'"';
    b.push_back(c);
  }
  // Line breaks, then terminal escapes ("\x1b[" digits/semicolons letter), then control characters.
  std::u32string c_out;
  c_out.reserve(b.size());
  for (size_t i = 0; i < b.size(); ++i) {
    char32_t c = b[i];
    if (c == U'\r') {
      if (i + 1 < b.size() && b[i + 1] == U'\n') ++i;
      c = U'\n';
    } else if (c == 0x2028 || c == 0x2029 || c == 0x85) {
      c = U'\n';
    }
    c_out.push_back(c);
  }
  std::u32string d;
  d.reserve(c_out.size());
  for (size_t i = 0; i < c_out.size(); ++i) {
    if (c_out[i] == 0x1B && i + 1 < c_out.size() && c_out[i + 1] == U'[') {
      size_t j = i + 2;
      while (j < c_out.size() && ((c_out[j] >= U'0' && c_out[j] <= U'9') || c_out[j] == U';')) ++j;
      if (j < c_out.size() && ((c_out[j] | 32) >= U'a' && (c_out[j] | 32) <= U'z')) {
        i = j;
        continue;
      }
    }
    d.push_back(c_out[i]);
  }
  std::u32string e;
  e.reserve(d.size());
  for (char32_t c : d)
    if (!is_removed_control(c)) e.push_back(c);
  return unicode::nfc(e);
}
}  // namespace

std::u32string ftfy_fix_text(std::u32string_view text) {
  std::u32string out;
  bool unescape = true;  // "auto": off from the first line holding a '<' on
  size_t pos = 0;
  while (pos < text.size()) {
    size_t end = text.find(U'\n', pos);
    end = end == std::u32string_view::npos ? text.size() : end + 1;
    std::u32string segment(text.substr(pos, end - pos));
    if (segment.find(U'<') != std::u32string::npos) unescape = false;
    // Each pass peels one level of nested entities ("&amp;amp;..."), so a hostile prompt could
    // make the loop quadratic; real text settles in two or three passes, hence the cap.
    for (int pass = 0; pass < kMaxPasses; ++pass) {
      const std::u32string before = segment;
      if (unescape) segment = unescape_entities(segment);
      segment = fix_characters(segment);
      if (segment == before) break;
    }
    out += segment;
    pos = end;
  }
  return out;
}

}  // namespace fluxgen
