#include "util/utf8.h"

namespace fluxgen {

namespace {
// The well-formed byte sequences of Unicode's table 3-7: the lead byte gives the length and the
// range allowed for the second byte (which excludes overlongs, surrogates and values above
// U+10FFFF); later bytes are 0x80..0xBF.
struct Lead {
  size_t length;
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

// The bytes of the longest valid prefix of a sequence at s[i] (0 for an invalid lead byte) and
// whether that prefix is a whole sequence, decoded into *cp_out.
size_t valid_prefix(std::string_view s, size_t i, bool& complete, uint32_t* cp_out) {
  const auto b0 = static_cast<unsigned char>(s[i]);
  const Lead lead = classify(b0);
  complete = false;
  if (lead.length == 0) return 0;
  uint32_t cp = lead.length == 1 ? b0 : lead.length == 2 ? (b0 & 0x1Fu) : lead.length == 3 ? (b0 & 0x0Fu) : (b0 & 0x07u);
  size_t n = 1;
  for (; n < lead.length && i + n < s.size(); ++n) {
    const auto b = static_cast<unsigned char>(s[i + n]);
    const unsigned char lo = n == 1 ? lead.second_lo : 0x80, hi = n == 1 ? lead.second_hi : 0xBF;
    if (b < lo || b > hi) return n;
    cp = (cp << 6) | (b & 0x3Fu);
  }
  complete = n == lead.length;
  if (complete) *cp_out = cp;
  return n;
}

// Length of the valid UTF-8 sequence at s[i], or 0 when it is invalid (overlong, surrogate,
// beyond U+10FFFF, truncated).
size_t sequence_length(std::string_view s, size_t i, uint32_t* cp_out) {
  bool complete = false;
  const size_t n = valid_prefix(s, i, complete, cp_out);
  return complete ? n : 0;
}
}  // namespace

bool is_valid_utf8(std::string_view s) {
  for (size_t i = 0; i < s.size();) {
    uint32_t cp;
    const size_t n = sequence_length(s, i, &cp);
    if (n == 0) return false;
    i += n;
  }
  return true;
}

void append_utf8(std::string& out, uint32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

std::string latin1_to_utf8(std::string_view latin1) {
  std::string out;
  out.reserve(latin1.size());
  for (unsigned char c : latin1) append_utf8(out, c);
  return out;
}

std::optional<std::string> utf8_to_latin1(std::string_view utf8) {
  std::string out;
  out.reserve(utf8.size());
  for (size_t i = 0; i < utf8.size();) {
    uint32_t cp;
    const size_t n = sequence_length(utf8, i, &cp);
    if (n == 0 || cp > 0xFF) return std::nullopt;
    out += static_cast<char>(cp);
    i += n;
  }
  return out;
}

std::string utf16_to_utf8(std::string_view bytes, bool big_endian) {
  std::string out;
  const size_t units = bytes.size() / 2;
  const auto unit = [&](size_t k) -> uint32_t {
    const auto hi = static_cast<unsigned char>(bytes[2 * k + (big_endian ? 0 : 1)]);
    const auto lo = static_cast<unsigned char>(bytes[2 * k + (big_endian ? 1 : 0)]);
    return (uint32_t(hi) << 8) | lo;
  };
  for (size_t k = 0; k < units; ++k) {
    const uint32_t u = unit(k);
    if (u >= 0xD800 && u <= 0xDBFF && k + 1 < units && unit(k + 1) >= 0xDC00 && unit(k + 1) <= 0xDFFF) {
      append_utf8(out, 0x10000 + ((u - 0xD800) << 10) + (unit(k + 1) - 0xDC00));
      ++k;
    } else if (u >= 0xD800 && u <= 0xDFFF) {
      append_utf8(out, 0xFFFD);
    } else {
      append_utf8(out, u);
    }
  }
  if (bytes.size() % 2) append_utf8(out, 0xFFFD);
  return out;
}

std::string utf8_replace_invalid(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size();) {
    uint32_t cp;
    const size_t n = sequence_length(s, i, &cp);
    if (n == 0) {
      append_utf8(out, 0xFFFD);
      ++i;
    } else {
      out.append(s.substr(i, n));
      i += n;
    }
  }
  return out;
}

std::u32string utf8_to_code_points(std::string_view s) {
  std::u32string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size();) {
    bool complete = false;
    uint32_t cp = 0;
    const size_t n = valid_prefix(s, i, complete, &cp);
    out.push_back(complete ? static_cast<char32_t>(cp) : 0xFFFD);
    i += n == 0 ? 1 : n;
  }
  return out;
}

std::string code_points_to_utf8(std::u32string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char32_t c : s) append_utf8(out, c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF) ? 0xFFFD : static_cast<uint32_t>(c));
  return out;
}

size_t utf8_sequence_length(std::string_view s) {
  uint32_t cp = 0;
  return s.empty() ? 0 : sequence_length(s, 0, &cp);
}

}  // namespace fluxgen
