#include "io/json.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstring>

#include "util/error.h"
#include "util/utf8.h"

namespace fluxgen::json {

namespace {
const char* type_name(Type t) {
  switch (t) {
    case Type::Null: return "null";
    case Type::Bool: return "boolean";
    case Type::Number: return "number";
    case Type::String: return "string";
    case Type::Array: return "array";
    case Type::Object: return "object";
  }
  return "?";
}

[[noreturn]] void type_error(Type want, Type got) {
  fail("JSON: expected ", type_name(want), ", found ", type_name(got));
}
}  // namespace

Value::Value(uint64_t v) {
  if (v <= static_cast<uint64_t>(INT64_MAX))
    data_ = Number{static_cast<double>(v), static_cast<int64_t>(v), true};
  else
    data_ = Number{static_cast<double>(v), 0, false};
}

Type Value::type() const {
  switch (data_.index()) {
    case 0: return Type::Null;
    case 1: return Type::Bool;
    case 2: return Type::Number;
    case 3: return Type::String;
    case 4: return Type::Array;
    default: return Type::Object;
  }
}

bool Value::is_integer() const {
  auto* n = std::get_if<Number>(&data_);
  return n && n->is_int;
}

bool Value::as_bool() const {
  if (auto* b = std::get_if<bool>(&data_)) return *b;
  type_error(Type::Bool, type());
}

double Value::as_number() const {
  if (auto* n = std::get_if<Number>(&data_)) return n->d;
  type_error(Type::Number, type());
}

int64_t Value::as_int() const {
  if (auto* n = std::get_if<Number>(&data_)) {
    if (n->is_int) return n->i;
    // Accept integral doubles such as 4.0 in configs.
    if (std::isfinite(n->d) && n->d == std::floor(n->d) && std::fabs(n->d) < 9.0e15)
      return static_cast<int64_t>(n->d);
    fail("JSON: expected an integer, found ", n->d);
  }
  type_error(Type::Number, type());
}

const std::string& Value::as_string() const {
  if (auto* s = std::get_if<std::string>(&data_)) return *s;
  type_error(Type::String, type());
}

const json::Array& Value::as_array() const {
  if (auto* a = std::get_if<std::shared_ptr<json::Array>>(&data_)) return **a;
  type_error(Type::Array, type());
}

json::Array& Value::as_array() {
  if (!std::holds_alternative<std::shared_ptr<json::Array>>(data_)) type_error(Type::Array, type());
  detach();
  return *std::get<std::shared_ptr<json::Array>>(data_);
}

const json::Object& Value::as_object() const {
  if (auto* o = std::get_if<std::shared_ptr<json::Object>>(&data_)) return **o;
  type_error(Type::Object, type());
}

json::Object& Value::as_object() {
  if (!std::holds_alternative<std::shared_ptr<json::Object>>(data_)) type_error(Type::Object, type());
  detach();
  return *std::get<std::shared_ptr<json::Object>>(data_);
}

void Value::detach() {
  if (auto* a = std::get_if<std::shared_ptr<json::Array>>(&data_)) {
    if (a->use_count() > 1) *a = std::make_shared<json::Array>(**a);
  } else if (auto* o = std::get_if<std::shared_ptr<json::Object>>(&data_)) {
    if (o->use_count() > 1) *o = std::make_shared<json::Object>(**o);
  }
}

const Value* Value::find(std::string_view key) const {
  auto* o = std::get_if<std::shared_ptr<json::Object>>(&data_);
  if (!o) return nullptr;
  for (const auto& [k, v] : **o)
    if (k == key) return &v;
  return nullptr;
}

Value& Value::operator[](std::string_view key) {
  if (is_null()) data_ = std::make_shared<json::Object>();
  auto& obj = as_object();
  for (auto& [k, v] : obj)
    if (k == key) return v;
  obj.emplace_back(std::string(key), Value());
  return obj.back().second;
}

const Value& Value::at(std::string_view key) const {
  const Value* v = find(key);
  if (!v) fail("JSON: missing key \"", key, "\"");
  return *v;
}

const Value& Value::at(size_t index) const {
  const auto& a = as_array();
  if (index >= a.size()) fail("JSON: index ", index, " out of range (size ", a.size(), ")");
  return a[index];
}

void Value::push_back(Value v) {
  if (is_null()) data_ = std::make_shared<json::Array>();
  as_array().push_back(std::move(v));
}

size_t Value::size() const {
  switch (type()) {
    case Type::Array: return as_array().size();
    case Type::Object: return as_object().size();
    case Type::String: return as_string().size();
    default: return 0;
  }
}

double Value::number_or(std::string_view key, double fallback) const {
  const Value* v = find(key);
  return v && !v->is_null() ? v->as_number() : fallback;
}
int64_t Value::int_or(std::string_view key, int64_t fallback) const {
  const Value* v = find(key);
  return v && !v->is_null() ? v->as_int() : fallback;
}
bool Value::bool_or(std::string_view key, bool fallback) const {
  const Value* v = find(key);
  return v && !v->is_null() ? v->as_bool() : fallback;
}
std::string Value::string_or(std::string_view key, std::string_view fallback) const {
  const Value* v = find(key);
  return v && !v->is_null() ? v->as_string() : std::string(fallback);
}

// ---------------------------------------------------------------------------------------------
// Writer

namespace {
void append_utf8_escaped(std::string& out, std::string_view s) {
  out += '"';
  for (unsigned char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      default:
        if (c < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", c);
          out += buf;
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  out += '"';
}

void newline(std::string& out, int indent, int level) {
  if (indent < 0) return;
  out += '\n';
  out.append(static_cast<size_t>(indent * level), ' ');
}
}  // namespace

std::string quote(std::string_view s) {
  std::string out;
  append_utf8_escaped(out, s);
  return out;
}

void Value::dump_to(std::string& out, int indent, int level) const {
  switch (type()) {
    case Type::Null: out += "null"; break;
    case Type::Bool: out += std::get<bool>(data_) ? "true" : "false"; break;
    case Type::Number: {
      const auto& n = std::get<Number>(data_);
      char buf[40];
      if (n.is_int) {
        auto r = std::to_chars(buf, buf + sizeof buf, n.i);
        out.append(buf, r.ptr);
      } else if (!std::isfinite(n.d)) {
        out += "null";  // JSON has no NaN/inf
      } else {
        auto r = std::to_chars(buf, buf + sizeof buf, n.d);
        out.append(buf, r.ptr);
        // Shortest form of an integral double ("4", "-0") would read back as an integer (and
        // lose the sign of zero): keep it a fraction, as Python's json does ("4.0", "-0.0").
        if (std::find_if(buf, r.ptr, [](char c) { return c == '.' || c == 'e'; }) == r.ptr) out += ".0";
      }
      break;
    }
    case Type::String: append_utf8_escaped(out, std::get<std::string>(data_)); break;
    case Type::Array: {
      const auto& a = as_array();
      out += '[';
      for (size_t i = 0; i < a.size(); ++i) {
        if (i) out += ',';
        newline(out, indent, level + 1);
        a[i].dump_to(out, indent, level + 1);
      }
      if (!a.empty()) newline(out, indent, level);
      out += ']';
      break;
    }
    case Type::Object: {
      const auto& o = as_object();
      out += '{';
      for (size_t i = 0; i < o.size(); ++i) {
        if (i) out += ',';
        newline(out, indent, level + 1);
        append_utf8_escaped(out, o[i].first);
        out += indent < 0 ? ":" : ": ";
        o[i].second.dump_to(out, indent, level + 1);
      }
      if (!o.empty()) newline(out, indent, level);
      out += '}';
      break;
    }
  }
}

std::string Value::dump(int indent) const {
  std::string out;
  dump_to(out, indent, 0);
  return out;
}

// ---------------------------------------------------------------------------------------------
// Parser

class Parser {
 public:
  Parser(std::string_view text, std::string_view what, ParseLimits limits)
      : s_(text), what_(what), limits_(limits) {}

  Value parse_document() {
    if (s_.size() > limits_.max_bytes) error("document of ", s_.size(), " bytes is too large");
    skip_ws();
    Value v = parse_value(0);
    skip_ws();
    if (pos_ != s_.size()) error("unexpected data after the JSON value");
    return v;
  }

 private:
  std::string_view s_;
  std::string_view what_;
  ParseLimits limits_;
  size_t pos_ = 0;

  template <typename... Parts>
  [[noreturn]] void error(Parts&&... parts) {
    fail(what_, ": JSON error at byte ", pos_, ": ", std::forward<Parts>(parts)...);
  }

  void skip_ws() {
    while (pos_ < s_.size() && (s_[pos_] == ' ' || s_[pos_] == '\t' || s_[pos_] == '\n' || s_[pos_] == '\r'))
      ++pos_;
  }

  char peek() {
    if (pos_ >= s_.size()) error("unexpected end of input");
    return s_[pos_];
  }

  void expect_literal(std::string_view lit) {
    if (s_.substr(pos_, lit.size()) != lit) error("invalid literal");
    pos_ += lit.size();
  }

  Value parse_value(size_t depth) {
    if (depth > limits_.max_depth) error("nesting deeper than ", limits_.max_depth);
    char c = peek();
    switch (c) {
      case '{': return parse_object(depth);
      case '[': return parse_array(depth);
      case '"': return Value(parse_string());
      case 't': expect_literal("true"); return Value(true);
      case 'f': expect_literal("false"); return Value(false);
      case 'n': expect_literal("null"); return Value();
      default:
        if (c == '-' || (c >= '0' && c <= '9')) return parse_number();
        error("unexpected character '", c, "'");
    }
  }

  Value parse_object(size_t depth) {
    ++pos_;  // {
    json::Object obj;
    skip_ws();
    if (peek() == '}') {
      ++pos_;
      return Value(std::move(obj));
    }
    while (true) {
      skip_ws();
      if (peek() != '"') error("expected a string key");
      std::string key = parse_string();
      skip_ws();
      if (peek() != ':') error("expected ':'");
      ++pos_;
      skip_ws();
      Value v = parse_value(depth + 1);
      obj.emplace_back(std::move(key), std::move(v));
      skip_ws();
      char c = peek();
      ++pos_;
      if (c == '}') break;
      if (c != ',') {
        --pos_;
        error("expected ',' or '}'");
      }
    }
    return Value(std::move(obj));
  }

  Value parse_array(size_t depth) {
    ++pos_;  // [
    json::Array arr;
    skip_ws();
    if (peek() == ']') {
      ++pos_;
      return Value(std::move(arr));
    }
    while (true) {
      skip_ws();
      arr.push_back(parse_value(depth + 1));
      skip_ws();
      char c = peek();
      ++pos_;
      if (c == ']') break;
      if (c != ',') {
        --pos_;
        error("expected ',' or ']'");
      }
    }
    return Value(std::move(arr));
  }

  unsigned parse_hex4() {
    if (pos_ + 4 > s_.size()) error("truncated \\u escape");
    unsigned v = 0;
    for (int i = 0; i < 4; ++i) {
      char c = s_[pos_++];
      v <<= 4;
      if (c >= '0' && c <= '9') v |= static_cast<unsigned>(c - '0');
      else if (c >= 'a' && c <= 'f') v |= static_cast<unsigned>(c - 'a' + 10);
      else if (c >= 'A' && c <= 'F') v |= static_cast<unsigned>(c - 'A' + 10);
      else {
        --pos_;  // point at the offending character
        error("invalid hex digit in \\u escape");
      }
    }
    return v;
  }

  std::string parse_string() {
    ++pos_;  // opening quote
    std::string out;
    while (true) {
      if (pos_ >= s_.size()) error("unterminated string");
      char c = s_[pos_++];
      if (c == '"') break;
      if (static_cast<unsigned char>(c) < 0x20) {
        --pos_;
        error("control character in string");
      }
      if (c != '\\') {
        out += c;
        continue;
      }
      if (pos_ >= s_.size()) error("unterminated escape");
      char e = s_[pos_++];
      switch (e) {
        case '"': out += '"'; break;
        case '\\': out += '\\'; break;
        case '/': out += '/'; break;
        case 'b': out += '\b'; break;
        case 'f': out += '\f'; break;
        case 'n': out += '\n'; break;
        case 'r': out += '\r'; break;
        case 't': out += '\t'; break;
        case 'u': {
          unsigned cp = parse_hex4();
          if (cp >= 0xD800 && cp <= 0xDBFF) {
            // A high surrogate must be followed by a low one; a lone one becomes U+FFFD.
            if (s_.substr(pos_, 2) == "\\u") {
              size_t save = pos_;
              pos_ += 2;
              unsigned lo = parse_hex4();
              if (lo >= 0xDC00 && lo <= 0xDFFF) {
                cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
              } else {
                pos_ = save;
                cp = 0xFFFD;
              }
            } else {
              cp = 0xFFFD;
            }
          } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
            cp = 0xFFFD;
          }
          append_utf8(out, cp);
          break;
        }
        default: --pos_; error("invalid escape '\\", e, "'");
      }
    }
    return out;
  }

  // For a valid JSON number whose value is out of double's range: whether its magnitude is
  // above 1 (it overflowed) rather than below (it underflowed). Decided by the decimal position
  // of the first significant digit plus the exponent, without evaluating the number.
  static bool exceeds_one(std::string_view num) {
    size_t i = num[0] == '-' ? 1 : 0;
    const size_t int_begin = i;
    while (i < num.size() && num[i] >= '0' && num[i] <= '9') ++i;
    const size_t int_end = i;
    int64_t lead = 0;  // decimal exponent of the first nonzero digit
    bool nonzero = false;
    for (size_t k = int_begin; k < int_end && !nonzero; ++k)
      if (num[k] != '0') {
        lead = static_cast<int64_t>(int_end - k) - 1;
        nonzero = true;
      }
    if (i < num.size() && num[i] == '.') {
      ++i;
      for (size_t k = i; k < num.size() && num[k] >= '0' && num[k] <= '9'; ++k)
        if (!nonzero && num[k] != '0') {
          lead = -static_cast<int64_t>(k - i + 1);
          nonzero = true;
        }
    }
    if (!nonzero) return false;
    int64_t exp = 0;
    const size_t e = num.find_first_of("eE");
    if (e != std::string_view::npos) {
      size_t k = e + 1;
      const bool neg = k < num.size() && num[k] == '-';
      if (k < num.size() && (num[k] == '-' || num[k] == '+')) ++k;
      for (; k < num.size(); ++k) exp = std::min<int64_t>(exp * 10 + (num[k] - '0'), int64_t(1) << 40);
      if (neg) exp = -exp;
    }
    return lead + exp > 0;
  }

  Value parse_number() {
    size_t start = pos_;
    bool integral = true;
    if (s_[pos_] == '-') ++pos_;
    if (pos_ >= s_.size() || !(s_[pos_] >= '0' && s_[pos_] <= '9')) error("invalid number");
    if (s_[pos_] == '0') {
      ++pos_;
    } else {
      while (pos_ < s_.size() && s_[pos_] >= '0' && s_[pos_] <= '9') ++pos_;
    }
    if (pos_ < s_.size() && s_[pos_] == '.') {
      integral = false;
      ++pos_;
      if (pos_ >= s_.size() || !(s_[pos_] >= '0' && s_[pos_] <= '9')) error("invalid number");
      while (pos_ < s_.size() && s_[pos_] >= '0' && s_[pos_] <= '9') ++pos_;
    }
    if (pos_ < s_.size() && (s_[pos_] == 'e' || s_[pos_] == 'E')) {
      integral = false;
      ++pos_;
      if (pos_ < s_.size() && (s_[pos_] == '+' || s_[pos_] == '-')) ++pos_;
      if (pos_ >= s_.size() || !(s_[pos_] >= '0' && s_[pos_] <= '9')) error("invalid number");
      while (pos_ < s_.size() && s_[pos_] >= '0' && s_[pos_] <= '9') ++pos_;
    }
    const char* b = s_.data() + start;
    const char* e = s_.data() + pos_;
    if (integral) {
      int64_t i = 0;
      auto r = std::from_chars(b, e, i);
      if (r.ec == std::errc() && r.ptr == e) return Value(i);
      // Out of int64 range: keep it as a double.
    }
    double d = 0;
    auto r = std::from_chars(b, e, d);
    if (r.ec == std::errc::result_out_of_range) {
      // from_chars reports overflow and underflow alike; 1e-400 must become 0, not infinity.
      const double m = exceeds_one(std::string_view(b, static_cast<size_t>(e - b))) ? HUGE_VAL : 0.0;
      d = (*b == '-') ? -m : m;
    } else if (r.ec != std::errc() || r.ptr != e) {
      error("invalid number");
    }
    return Value(d);
  }
};

Value parse(std::string_view text, std::string_view what, ParseLimits limits) {
  return Parser(text, what, limits).parse_document();
}

}  // namespace fluxgen::json
