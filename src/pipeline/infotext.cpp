#include "pipeline/infotext.h"

#include <charconv>
#include <cmath>
#include <cstdio>

#include "io/json.h"
#include "util/error.h"

namespace fluxgen {

namespace {

// Python's str.isspace() code points (ASCII whitespace, the separators \x1c-\x1f and the Unicode
// spaces), decoded from UTF-8 at s[i]; returns the byte length of the space, or 0.
size_t space_length_at(std::string_view s, size_t i) {
  const auto b = [&](size_t k) { return k < s.size() ? static_cast<unsigned char>(s[k]) : 0u; };
  const unsigned c = b(i);
  if (c == ' ' || (c >= 0x09 && c <= 0x0D) || (c >= 0x1C && c <= 0x1F)) return 1;
  if (c == 0xC2 && (b(i + 1) == 0x85 || b(i + 1) == 0xA0)) return 2;
  if (c == 0xE1 && b(i + 1) == 0x9A && b(i + 2) == 0x80) return 3;  // U+1680
  if (c == 0xE2 && b(i + 1) == 0x80 && ((b(i + 2) >= 0x80 && b(i + 2) <= 0x8A) || b(i + 2) == 0xA8 ||
                                         b(i + 2) == 0xA9 || b(i + 2) == 0xAF))
    return 3;  // U+2000-200A, U+2028, U+2029, U+202F
  if (c == 0xE2 && b(i + 1) == 0x81 && b(i + 2) == 0x9F) return 3;  // U+205F
  if (c == 0xE3 && b(i + 1) == 0x80 && b(i + 2) == 0x80) return 3;  // U+3000
  return 0;
}

// The byte length of a whitespace code point ending at s[end - 1], or 0.
size_t space_length_before(std::string_view s, size_t end) {
  for (size_t len = 1; len <= 3 && len <= end; ++len)
    if (space_length_at(s, end - len) == len) return len;
  return 0;
}

std::string_view py_strip(std::string_view s) {
  size_t a = 0, b = s.size();
  while (a < b) {
    const size_t n = space_length_at(s, a);
    if (n == 0) break;
    a += n;
  }
  while (b > a) {
    const size_t n = space_length_before(s.substr(0, b), b);
    if (n == 0) break;
    b -= n;
  }
  return s.substr(a, b - a);
}

// Python's \w on str, approximated per byte: ASCII letters, digits, '_' and any non-ASCII byte
// (non-ASCII code points in parameter names are letters in practice).
bool is_word(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c >= 0x80;
}

bool is_regex_space(unsigned char c) { return c == ' ' || (c >= 0x09 && c <= 0x0D) || (c >= 0x1C && c <= 0x1F); }

struct RawParam {
  std::string key, value;
};

// re.findall(r'\s*(\w[\w \-/]+):\s*("(?:\\.|[^\\"])+"|[^,]*)(?:,|$)', line), written out: at each
// position try one match; on success continue after it, else move on by one byte.
std::vector<RawParam> find_params(std::string_view line) {
  std::vector<RawParam> out;
  const size_t n = line.size();
  const auto at = [&](size_t i) { return static_cast<unsigned char>(line[i]); };
  size_t p = 0;
  while (p <= n) {
    size_t q = p;
    while (q < n && is_regex_space(at(q))) ++q;
    // Key: a word character, then one or more of [\w \-/], then ':'. The run is maximal, and only
    // the maximal run can be followed by ':' (':' is outside the class).
    bool matched = false;
    if (q < n && is_word(at(q))) {
      size_t r = q + 1;
      while (r < n && (is_word(at(r)) || at(r) == ' ' || at(r) == '-' || at(r) == '/')) ++r;
      if (r > q + 1 && r < n && line[r] == ':') {
        const std::string_view key = line.substr(q, r - q);
        size_t v = r + 1;
        while (v < n && is_regex_space(at(v))) ++v;
        size_t end = std::string_view::npos;  // end of the value
        // First alternative: a double-quoted string with backslash escapes, non-empty, followed
        // by ',' or the end of the line.
        if (v < n && line[v] == '"') {
          size_t k = v + 1;
          bool any = false;
          while (k < n && line[k] != '"') {
            if (line[k] == '\\') {
              if (k + 1 >= n) break;
              k += 2;
            } else {
              ++k;
            }
            any = true;
          }
          if (any && k < n && line[k] == '"' && (k + 1 == n || line[k + 1] == ',')) end = k + 1;
        }
        // Second alternative: everything up to the next ','.
        if (end == std::string_view::npos) {
          end = line.find(',', v);
          if (end == std::string_view::npos) end = n;
        }
        out.push_back({std::string(key), std::string(line.substr(v, end - v))});
        p = end < n ? end + 1 : n + 1;  // the ',' is part of the match
        matched = true;
      }
    }
    if (!matched) ++p;
  }
  return out;
}

// A1111's unquote(): a value in double quotes is JSON-decoded; if that fails it stays as written.
std::string unquote(const std::string& value) {
  if (value.size() < 2 || value.front() != '"' || value.back() != '"') return value;
  try {
    const json::Value v = json::parse(value, "infotext value");
    if (v.is_string()) return v.as_string();
  } catch (const Error&) {
  }
  return value;
}

}  // namespace

std::optional<std::string> Infotext::get(std::string_view key) const {
  // Python's dict keeps the last value written under a repeated key.
  for (auto it = params.rbegin(); it != params.rend(); ++it)
    if (it->first == key) return it->second;
  return std::nullopt;
}

std::string infotext_quote(std::string_view value) {
  const bool needs = value.find_first_of(",:\n") != std::string_view::npos ||
                     (value.size() >= 2 && value.front() == '"' && value.back() == '"');
  return needs ? json::quote(value) : std::string(value);
}

std::string build_infotext(const Infotext& info) {
  std::string params;
  for (const auto& [key, value] : info.params) {
    if (!params.empty()) params += ", ";
    params += key;
    if (key != value) {
      params += ": ";
      params += infotext_quote(value);
    }
  }
  std::string text = info.prompt;
  if (!info.negative_prompt.empty()) text += "\nNegative prompt: " + info.negative_prompt;
  text += "\n" + params;
  return std::string(py_strip(text));
}

Infotext parse_infotext(std::string_view text) {
  std::vector<std::string_view> lines;
  const std::string_view body = py_strip(text);
  for (size_t start = 0;;) {
    const size_t nl = body.find('\n', start);
    lines.push_back(body.substr(start, nl == std::string_view::npos ? std::string_view::npos : nl - start));
    if (nl == std::string_view::npos) break;
    start = nl + 1;
  }
  std::string_view last = lines.back();
  lines.pop_back();
  std::vector<RawParam> raw = find_params(last);
  if (raw.size() < 3) {
    lines.push_back(last);
    raw.clear();
  }
  Infotext info;
  bool negative = false;
  constexpr std::string_view kNegative = "Negative prompt:";
  for (std::string_view line : lines) {
    line = py_strip(line);
    if (line.substr(0, kNegative.size()) == kNegative) {
      negative = true;
      line = py_strip(line.substr(kNegative.size()));
    }
    std::string& target = negative ? info.negative_prompt : info.prompt;
    if (!target.empty()) target += '\n';
    target += line;
  }
  for (auto& p : raw) {
    // A1111 indexes v[0] before unquoting, so an empty value raises and the pair is dropped.
    if (p.value.empty()) continue;
    info.params.emplace_back(std::move(p.key), unquote(p.value));
  }
  return info;
}

std::optional<std::pair<int, int>> infotext_size(std::string_view value) {
  const size_t x = value.find('x');
  if (x == std::string_view::npos || x == 0 || x + 1 == value.size()) return std::nullopt;
  int w = 0, h = 0;
  const auto r1 = std::from_chars(value.data(), value.data() + x, w);
  const auto r2 = std::from_chars(value.data() + x + 1, value.data() + value.size(), h);
  if (r1.ec != std::errc() || r1.ptr != value.data() + x || r2.ec != std::errc() ||
      r2.ptr != value.data() + value.size() || value[0] == '-' || value[x + 1] == '-' || value[x + 1] == '+')
    return std::nullopt;
  return std::make_pair(w, h);
}

std::string infotext_number(double value) {
  check(std::isfinite(value), "infotext_number: ", value, " is not a finite number");
  if (value == std::floor(value) && std::fabs(value) < 1e15) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.0f", value);
    return buf;
  }
  // Python's repr: the shortest digits that read back exactly, in fixed notation when the decimal
  // exponent is in [-4, 16), else d.ddde±XX.
  char sci[64];
  const auto r = std::to_chars(sci, sci + sizeof sci, value, std::chars_format::scientific);
  std::string s(sci, r.ptr);
  const size_t e = s.find('e');
  std::string mantissa = s.substr(0, e);
  const int exp10 = std::stoi(s.substr(e + 1));
  std::string sign;
  if (mantissa[0] == '-') sign = "-", mantissa.erase(0, 1);
  std::string digits;
  for (char c : mantissa)
    if (c != '.') digits += c;
  if (exp10 >= -4 && exp10 < 16) {
    std::string out = sign;
    if (exp10 < 0) {
      out.append("0.");
      out.append(static_cast<size_t>(-exp10 - 1), '0');
      out.append(digits);
    } else if (static_cast<size_t>(exp10) + 1 >= digits.size()) {
      out.append(digits);
      out.append(exp10 + 1 - digits.size(), '0');
      out.append(".0");
    } else {
      out.append(digits, 0, exp10 + 1);
      out.push_back('.');
      out.append(digits, exp10 + 1);
    }
    return out;
  }
  char ebuf[16];
  std::snprintf(ebuf, sizeof ebuf, "e%c%02d", exp10 < 0 ? '-' : '+', std::abs(exp10));
  std::string out = sign;
  out.push_back(digits[0]);
  if (digits.size() > 1) {
    out.push_back('.');
    out.append(digits, 1);
  }
  out.append(ebuf);
  return out;
}

}  // namespace fluxgen
