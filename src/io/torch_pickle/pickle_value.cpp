#include "io/torch_pickle/pickle_value.h"

#include <cmath>
#include <cstring>

#include "util/error.h"

namespace fluxgen::torch_pickle {

const char* kind_name(Kind k) {
  switch (k) {
    case Kind::None: return "None";
    case Kind::Bool: return "bool";
    case Kind::Int: return "int";
    case Kind::BigInt: return "int";
    case Kind::Float: return "float";
    case Kind::String: return "str";
    case Kind::Bytes: return "bytes";
    case Kind::Tuple: return "tuple";
    case Kind::List: return "list";
    case Kind::Dict: return "dict";
    case Kind::Set: return "set";
    case Kind::Global: return "global";
    case Kind::Object: return "object";
    case Kind::Opaque: return "opaque value";
    case Kind::Storage: return "storage";
    case Kind::Tensor: return "tensor";
  }
  return "?";
}

Value* Arena::make(Kind kind) {
  check(values_.size() < limits_.max_objects, "the pickle creates more than ", limits_.max_objects,
        " objects (limit reached; the file is corrupt or hostile)");
  values_.emplace_back();
  values_.back().kind = kind;
  return &values_.back();
}

Value* Arena::make_int(int64_t v) {
  Value* out = make(Kind::Int);
  out->integer = v;
  return out;
}

Value* Arena::make_string(std::string s) {
  Value* out = make(Kind::String);
  out->text = std::move(s);
  return out;
}

namespace {

// Python's hash equality: True == 1 == 1.0, so all three share one canonical form.
void canonical_key(const Value* v, const Limits& limits, size_t depth, std::string& out) {
  check(depth < limits.max_depth, "a dict key nests deeper than ", limits.max_depth, " levels");
  check(out.size() <= limits.max_key_bytes, "a dict key is larger than ", limits.max_key_bytes, " bytes");
  switch (v->kind) {
    case Kind::None: out += 'N'; return;
    case Kind::Bool: out += v->flag ? "i1;" : "i0;"; return;
    case Kind::Int: out += 'i' + std::to_string(v->integer) + ';'; return;
    case Kind::BigInt: out += 'I' + std::to_string(v->text.size()) + ':' + v->text; return;
    case Kind::Float: {
      const double d = v->real;
      if (std::isfinite(d) && d == std::floor(d) && std::fabs(d) < 9.2e18) {
        out += 'i' + std::to_string(static_cast<int64_t>(d)) + ';';
      } else {
        uint64_t bits;
        std::memcpy(&bits, &d, sizeof bits);
        out += 'f' + std::to_string(bits) + ';';
      }
      return;
    }
    case Kind::String: out += 's' + std::to_string(v->text.size()) + ':' + v->text; return;
    case Kind::Bytes: out += 'b' + std::to_string(v->text.size()) + ':' + v->text; return;
    case Kind::Tuple:
      out += '(';
      for (const Value* item : v->items) canonical_key(item, limits, depth + 1, out);
      out += ')';
      return;
    case Kind::List:
    case Kind::Dict:
    case Kind::Set:
      fail("unhashable ", kind_name(v->kind), " used as a dict key");
    default: {
      // Globals, instances, tensors: identity, as Python's default hash.
      char buf[32];
      std::snprintf(buf, sizeof buf, "@%p;", static_cast<const void*>(v));
      out += buf;
      return;
    }
  }
}

}  // namespace

void dict_set(Value* dict, Value* key, Value* value, const Limits& limits) {
  std::string canon;
  canonical_key(key, limits, 0, canon);
  check(canon.size() <= limits.max_key_bytes, "a dict key is larger than ", limits.max_key_bytes, " bytes");
  auto [it, inserted] = dict->index.emplace(std::move(canon), dict->entries.size());
  if (inserted)
    dict->entries.emplace_back(key, value);
  else
    dict->entries[it->second].second = value;
}

Value* dict_get(const Value* dict, std::string_view key) {
  std::string canon = 's' + std::to_string(key.size()) + ':';
  canon.append(key);
  auto it = dict->index.find(canon);
  return it == dict->index.end() ? nullptr : dict->entries[it->second].second;
}

std::string printable(std::string_view s, size_t max_len) {
  std::string out;
  for (size_t i = 0; i < s.size() && out.size() < max_len; ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c >= 0x20 && c < 0x7f) {
      out += static_cast<char>(c);
    } else {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", c);
      out += buf;
    }
  }
  if (out.size() >= max_len) out += "...";
  return out;
}

std::string describe(const Value* v) {
  switch (v->kind) {
    case Kind::Int: return "int " + std::to_string(v->integer);
    case Kind::Bool: return v->flag ? "True" : "False";
    case Kind::String: return "str '" + printable(v->text, 60) + "'";
    case Kind::Tuple:
    case Kind::List:
    case Kind::Set: return std::string(kind_name(v->kind)) + " of " + std::to_string(v->items.size());
    case Kind::Dict: return "dict of " + std::to_string(v->entries.size());
    case Kind::Global: return "global " + printable(v->qualified_name());
    case Kind::Object: return "object " + printable(v->text);
    case Kind::Opaque: return "opaque " + printable(v->text);
    default: return kind_name(v->kind);
  }
}

}  // namespace fluxgen::torch_pickle
