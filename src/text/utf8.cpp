#include "text/utf8.h"

namespace fluxgen::utf8 {

namespace {
// The well-formed byte sequences of Unicode's table 3-7: the lead byte decides the length and the
// range allowed for the second byte (excluding overlongs, surrogates and values above U+10FFFF).
struct Lead {
  int length;
  unsigned char second_lo, second_hi;
};

Lead classify(unsigned char b) {
  if (b < 0x80) return {1, 0, 0};
  if (b >= 0xC2 && b <= 0xDF) return {2, 0x80, 0xBF};
  if (b == 0xE0) return {3, 0xA0, 0xBF};
  if ((b >= 0xE1 && b <= 0xEC) || b == 0xEE || b == 0xEF) return {3, 0x80, 0xBF};
  if (b == 0xED) return {3, 0x80, 0x9F};
  if (b == 0xF0) return {4, 0x90, 0xBF};
  if (b >= 0xF1 && b <= 0xF3) return {4, 0x80, 0xBF};
  if (b == 0xF4) return {4, 0x80, 0x8F};
  return {0, 0, 0};
}

// Length of the longest valid prefix of a sequence starting at s[0] (>= 1 when the lead is valid),
// and whether it is complete.
size_t valid_prefix(std::string_view s, bool& complete) {
  const Lead lead = classify(static_cast<unsigned char>(s[0]));
  complete = false;
  if (lead.length == 0) return 0;
  if (lead.length == 1) {
    complete = true;
    return 1;
  }
  size_t n = 1;
  for (; n < static_cast<size_t>(lead.length) && n < s.size(); ++n) {
    const auto b = static_cast<unsigned char>(s[n]);
    const unsigned char lo = n == 1 ? lead.second_lo : 0x80, hi = n == 1 ? lead.second_hi : 0xBF;
    if (b < lo || b > hi) return n;
  }
  complete = n == static_cast<size_t>(lead.length);
  return n;
}
}  // namespace

size_t sequence_length(std::string_view s) {
  if (s.empty()) return 0;
  bool complete = false;
  const size_t n = valid_prefix(s, complete);
  return complete ? n : 0;
}

std::u32string decode(std::string_view s) {
  std::u32string out;
  out.reserve(s.size());
  size_t i = 0;
  while (i < s.size()) {
    bool complete = false;
    const size_t n = valid_prefix(s.substr(i), complete);
    if (!complete) {
      out.push_back(kReplacement);
      i += n == 0 ? 1 : n;
      continue;
    }
    const auto b0 = static_cast<unsigned char>(s[i]);
    char32_t c = n == 1 ? b0 : n == 2 ? (b0 & 0x1Fu) : n == 3 ? (b0 & 0x0Fu) : (b0 & 0x07u);
    for (size_t k = 1; k < n; ++k) c = (c << 6) | (static_cast<unsigned char>(s[i + k]) & 0x3Fu);
    out.push_back(c);
    i += n;
  }
  return out;
}

void append(std::string& out, char32_t c) {
  if (c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF)) c = kReplacement;
  if (c < 0x80) {
    out.push_back(static_cast<char>(c));
  } else if (c < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (c >> 6)));
    out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
  } else if (c < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (c >> 12)));
    out.push_back(static_cast<char>(0x80 | ((c >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (c >> 18)));
    out.push_back(static_cast<char>(0x80 | ((c >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((c >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (c & 0x3F)));
  }
}

std::string encode(std::u32string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char32_t c : s) append(out, c);
  return out;
}

}  // namespace fluxgen::utf8
