#include "util/python_repr.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>

namespace fluxgen {

std::string python_float_repr(double v) {
  if (std::isnan(v)) return "nan";
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  if (v == 0) return std::signbit(v) ? "-0.0" : "0.0";
  // The fewest significant digits that round-trip, as repr() picks them.
  char buf[64];
  int digits = 1;
  for (; digits <= 17; ++digits) {
    std::snprintf(buf, sizeof buf, "%.*e", digits - 1, v);
    if (std::strtod(buf, nullptr) == v) break;
  }
  // buf = "[-]d.ddde±XX": split into the digit string and the decimal exponent.
  std::string s(buf);
  const bool negative = s[0] == '-';
  if (negative) s.erase(0, 1);
  const size_t e = s.find('e');
  const int exponent = std::atoi(s.c_str() + e + 1);
  std::string mantissa;
  for (size_t i = 0; i < e; ++i)
    if (s[i] != '.') mantissa += s[i];
  std::string out = negative ? "-" : "";
  if (exponent < -4 || exponent >= 16) {
    out += mantissa[0];
    if (mantissa.size() > 1) out.append(".").append(mantissa, 1, std::string::npos);
    char ex[16];
    std::snprintf(ex, sizeof ex, "e%c%02d", exponent < 0 ? '-' : '+', std::abs(exponent));
    return out + ex;
  }
  if (exponent < 0) return out.append("0.").append(static_cast<size_t>(-exponent - 1), '0').append(mantissa);
  const size_t int_digits = static_cast<size_t>(exponent) + 1;
  if (mantissa.size() <= int_digits) return out.append(mantissa).append(int_digits - mantissa.size(), '0').append(".0");
  return out.append(mantissa, 0, int_digits).append(".").append(mantissa, int_digits, std::string::npos);
}

}  // namespace fluxgen
