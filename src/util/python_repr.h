// Python's str() of a float (the shortest text that reads back to the same double, "1.0" for
// integral values, exponent form below 1e-4 and from 1e16), for text that Python programs
// (A1111 extensions writing infotext) produce and users compare.
#pragma once
#include <string>

namespace fluxgen {

std::string python_float_repr(double v);

}  // namespace fluxgen
