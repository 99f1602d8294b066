// The gtest-free half of test_support.h: fixture paths and error metrics, shared with the GPU
// test program (tests/gpu), which runs where GoogleTest is not installed.
#include <algorithm>
#include <cmath>
#include <cstdlib>

#include "tensor/convert.h"
#include "test_support.h"
#include "util/error.h"

namespace fluxgen::test {

std::string fixture(const std::string& name) {
  const char* env = std::getenv("FLUXGEN_FIXTURES");
  return std::string(env && *env ? env : FLUXGEN_TEST_FIXTURES) + "/" + name;
}

double rel_l2(const Tensor& a, const Tensor& b) {
  const auto va = to_vector(a), vb = to_vector(b);
  check(va.size() == vb.size(), "rel_l2: ", a.describe(), " vs ", b.describe());
  double num = 0, den = 0;
  for (size_t i = 0; i < va.size(); ++i) {
    num += (double(va[i]) - vb[i]) * (double(va[i]) - vb[i]);
    den += double(vb[i]) * vb[i];
  }
  return std::sqrt(num) / std::max(std::sqrt(den), 1e-30);
}

double max_abs_diff(const Tensor& a, const Tensor& b) {
  const auto va = to_vector(a), vb = to_vector(b);
  check(va.size() == vb.size(), "max_abs_diff: ", a.describe(), " vs ", b.describe());
  double m = 0;
  for (size_t i = 0; i < va.size(); ++i) m = std::max(m, std::fabs(double(va[i]) - vb[i]));
  return m;
}

}  // namespace fluxgen::test
