#include "text/clip_pre_tokenizer.h"

#include "text/ftfy_fixes.h"
#include "text/html_unescape.h"
#include "text/unicode.h"
#include "util/utf8.h"

namespace fluxgen {

namespace {
constexpr std::u32string_view kSpecialWords[] = {U"<|startoftext|>", U"<|endoftext|>"};

// The contraction alternatives, in the pattern's order. Matching is case-insensitive, so after
// lower-casing only U+017F (long s, which case-folds to s) adds a spelling.
size_t contraction_length(std::u32string_view s) {
  if (s.size() < 2 || s[0] != U'\'') return 0;
  const char32_t a = s[1];
  const char32_t b = s.size() > 2 ? s[2] : 0;
  if (a == U's' || a == 0x17F || a == U't') return 2;
  if ((a == U'r' && b == U'e') || (a == U'v' && b == U'e')) return 3;
  if (a == U'm') return 2;
  if (a == U'l' && b == U'l') return 3;
  if (a == U'd') return 2;
  return 0;
}

// The pattern's classes as the regex module matches them (see unicode_tables.h).
bool is_letter(char32_t c) {
  if (c < 0x80) return (c | 32) >= 'a' && (c | 32) <= 'z';
  return unicode::in_table(unicode_tables::clip_letters, c);
}
bool is_number(char32_t c) {
  if (c < 0x80) return c >= '0' && c <= '9';
  return unicode::in_table(unicode_tables::clip_numbers, c);
}
bool is_other(char32_t c) {
  return !unicode::is_whitespace(c) && !is_letter(c) && !is_number(c) && !unicode::in_table(unicode_tables::clip_unmatched, c);
}
}  // namespace

std::u32string clip_clean_text(std::string_view text) {
  const std::string fixed = code_points_to_utf8(ftfy_fix_text(utf8_to_code_points(text)));
  const std::u32string unescaped = utf8_to_code_points(html_unescape(html_unescape(fixed)));
  // whitespace_clean: runs of white space become one space; the ends are stripped.
  std::u32string collapsed;
  collapsed.reserve(unescaped.size());
  bool pending_space = false;
  for (char32_t c : unescaped) {
    if (unicode::is_whitespace(c)) {
      pending_space = !collapsed.empty();
      continue;
    }
    if (pending_space) collapsed.push_back(U' ');
    pending_space = false;
    collapsed.push_back(c);
  }
  return unicode::python_lower(collapsed);
}

std::vector<std::string> clip_split_words(std::u32string_view s) {
  std::vector<std::string> words;
  size_t i = 0;
  while (i < s.size()) {
    const std::u32string_view rest = s.substr(i);
    size_t len = 0;
    for (std::u32string_view special : kSpecialWords) {
      if (rest.starts_with(special)) {
        len = special.size();
        break;
      }
    }
    if (len == 0) len = contraction_length(rest);
    if (len == 0 && is_letter(rest[0])) {
      while (len < rest.size() && is_letter(rest[len])) ++len;
    }
    if (len == 0 && is_number(rest[0])) len = 1;
    if (len == 0 && is_other(rest[0])) {
      while (len < rest.size() && is_other(rest[len])) ++len;
    }
    if (len == 0) {  // white space, or a character no alternative matches
      ++i;
      continue;
    }
    words.push_back(code_points_to_utf8(rest.substr(0, len)));
    i += len;
  }
  return words;
}

}  // namespace fluxgen
