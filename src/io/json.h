// A small JSON value, parser and writer. fluxgen's core reads JSON in safetensors headers, configs
// and tokenizer files and must build where no Debian -dev package is installed (the lent GPU
// machine), so it carries its own strict parser: bounded nesting, exact 64-bit integers (tensor
// offsets), errors that name the byte offset. The HTTP server uses the same type.
#pragma once
#include <cstdint>
#include <initializer_list>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace fluxgen::json {

class Value;
using Array = std::vector<Value>;
// Insertion-ordered, so written documents keep the order they were built in.
using Object = std::vector<std::pair<std::string, Value>>;

enum class Type { Null, Bool, Number, String, Array, Object };

class Value {
 public:
  Value() = default;
  Value(std::nullptr_t) {}
  Value(bool b) : data_(b) {}
  Value(int v) : data_(Number{static_cast<double>(v), v, true}) {}
  Value(int64_t v) : data_(Number{static_cast<double>(v), v, true}) {}
  Value(unsigned v) : data_(Number{static_cast<double>(v), static_cast<int64_t>(v), true}) {}
  Value(uint64_t v);
  Value(double v) : data_(Number{v, 0, false}) {}
  Value(const char* s) : data_(std::string(s)) {}
  Value(std::string s) : data_(std::move(s)) {}
  Value(std::string_view s) : data_(std::string(s)) {}
  Value(Array a) : data_(std::make_shared<json::Array>(std::move(a))) {}
  Value(Object o) : data_(std::make_shared<json::Object>(std::move(o))) {}

  static Value array() { return Value(json::Array{}); }
  static Value object() { return Value(json::Object{}); }

  Type type() const;
  bool is_null() const { return type() == Type::Null; }
  bool is_bool() const { return type() == Type::Bool; }
  bool is_number() const { return type() == Type::Number; }
  // A number written without fraction or exponent that fits in int64.
  bool is_integer() const;
  bool is_string() const { return type() == Type::String; }
  bool is_array() const { return type() == Type::Array; }
  bool is_object() const { return type() == Type::Object; }

  // Typed access; each throws fluxgen::Error naming the expected and actual type.
  bool as_bool() const;
  double as_number() const;
  int64_t as_int() const;
  const std::string& as_string() const;
  const json::Array& as_array() const;
  json::Array& as_array();
  const json::Object& as_object() const;
  json::Object& as_object();

  // Object access. find returns nullptr when the key is absent (or this is not an object).
  const Value* find(std::string_view key) const;
  bool contains(std::string_view key) const { return find(key) != nullptr; }
  // Inserts null under a new key (turning a null value into an object first).
  Value& operator[](std::string_view key);
  // Throws when absent.
  const Value& at(std::string_view key) const;
  const Value& at(size_t index) const;
  void push_back(Value v);
  size_t size() const;

  // Defaults for optional fields: value_or("steps", 20).
  double number_or(std::string_view key, double fallback) const;
  int64_t int_or(std::string_view key, int64_t fallback) const;
  bool bool_or(std::string_view key, bool fallback) const;
  std::string string_or(std::string_view key, std::string_view fallback) const;

  // indent < 0: compact.
  std::string dump(int indent = -1) const;

 private:
  struct Number {
    double d;
    int64_t i;
    bool is_int;
  };
  // Copies share their children until one is mutated through a non-const accessor, which
  // detaches it (copy on write), so passing documents around by value stays cheap.
  std::variant<std::monostate, bool, Number, std::string, std::shared_ptr<json::Array>,
               std::shared_ptr<json::Object>>
      data_;
  void detach();
  void dump_to(std::string& out, int indent, int level) const;
};

struct ParseLimits {
  size_t max_depth = 128;
  size_t max_bytes = size_t(1) << 30;
};

// Throws fluxgen::Error("<what>: JSON error at byte N: ...") on malformed input. `what` names the
// document (a file, a header) in the message.
Value parse(std::string_view text, std::string_view what = "JSON", ParseLimits limits = {});

// Writes a JSON string literal (with quotes) for s.
std::string quote(std::string_view s);

}  // namespace fluxgen::json
