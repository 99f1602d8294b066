#include "pipeline/json_fields.h"

#include <cmath>

#include "pipeline/generation_settings.h"

namespace fluxgen {

const json::Value* present_field(const json::Value& object, const char* name) {
  const json::Value* v = object.find(name);
  return v && !v->is_null() ? v : nullptr;
}

void get_string(const json::Value& object, const char* name, std::string& out) {
  if (const json::Value* v = present_field(object, name)) {
    if (!v->is_string()) throw FieldError(name, "must be a string");
    out = v->as_string();
  }
}

void get_bool(const json::Value& object, const char* name, bool& out) {
  if (const json::Value* v = present_field(object, name)) {
    if (!v->is_bool()) throw FieldError(name, "must be true or false");
    out = v->as_bool();
  }
}

void get_number(const json::Value& object, const char* name, double& out, double lo, double hi) {
  if (const json::Value* v = present_field(object, name)) {
    if (!v->is_number() || !std::isfinite(v->as_number())) throw FieldError(name, "must be a number");
    const double d = v->as_number();
    if (d < lo || d > hi)
      throw FieldError(name, "must be between " + std::to_string(lo).substr(0, 6) + " and " +
                                 std::to_string(hi).substr(0, 8) + ", got " + std::to_string(d));
    out = d;
  }
}

int64_t get_integer(const json::Value& object, const char* name, int64_t current, int64_t lo, int64_t hi) {
  const json::Value* v = present_field(object, name);
  if (!v) return current;
  if (!v->is_number()) throw FieldError(name, "must be an integer");
  const double d = v->as_number();
  if (d != std::floor(d) || !std::isfinite(d)) throw FieldError(name, "must be an integer");
  const int64_t i = v->is_integer() ? v->as_int() : static_cast<int64_t>(d);
  if (i < lo || i > hi)
    throw FieldError(name, "must be between " + std::to_string(lo) + " and " + std::to_string(hi) + ", got " +
                               std::to_string(i));
  return i;
}

}  // namespace fluxgen
