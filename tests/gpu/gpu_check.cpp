#include "gpu_check.h"

#include <cmath>
#include <cstdio>

namespace fluxgen::gpu_test {

namespace {
int current_failures = 0;
}

std::vector<Case>& registry() {
  static std::vector<Case> cases;
  return cases;
}

void begin_case() { current_failures = 0; }
int failures_in_current_case() { return current_failures; }

void record(bool ok, const std::string& what) {
  if (!ok) ++current_failures;
  std::printf("  %s  %s\n", ok ? "ok  " : "FAIL", what.c_str());
  std::fflush(stdout);
}

void check_error(const std::string& what, double error, double bound) {
  const bool ok = error < bound;  // false for NaN
  if (!ok) ++current_failures;
  std::printf("  %s  %-60s %.3e (bound %.0e)\n", ok ? "ok  " : "FAIL", what.c_str(), error, bound);
  std::fflush(stdout);
}

}  // namespace fluxgen::gpu_test
