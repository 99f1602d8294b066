// Optional fields of a JSON request object (a generation or Extras request) read into typed settings: an absent or null field leaves
// the setting as it is; a present one of the wrong type or out of range throws FieldError naming it.
#pragma once
#include <cstdint>
#include <string>

#include "io/json.h"

namespace fluxgen {

// The field when present and not null, else nullptr.
const json::Value* present_field(const json::Value& object, const char* name);

void get_string(const json::Value& object, const char* name, std::string& out);
void get_bool(const json::Value& object, const char* name, bool& out);
// A finite number in [lo, hi].
void get_number(const json::Value& object, const char* name, double& out, double lo, double hi);
// An integral number (2 or 2.0) in [lo, hi].
int64_t get_integer(const json::Value& object, const char* name, int64_t current, int64_t lo, int64_t hi);

template <typename Int>
void get_int(const json::Value& object, const char* name, Int& out, int64_t lo, int64_t hi) {
  out = static_cast<Int>(get_integer(object, name, static_cast<int64_t>(out), lo, hi));
}

}  // namespace fluxgen
