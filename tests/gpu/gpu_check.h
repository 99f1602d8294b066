// A tiny self-contained check harness for the GPU test program (the GPU machine has no
// GoogleTest). GPU_TEST(name) registers a case; CHECK_* record failures and let the case go on;
// an exception fails the case. Every comparison prints its measured error, so a run's log is the
// table of how far each kernel is from the CPU reference.
#pragma once
#include <sstream>
#include <string>
#include <vector>

#include "util/error.h"

namespace fluxgen::gpu_test {

struct Case {
  std::string name;
  void (*run)();
};
std::vector<Case>& registry();
struct Registrar {
  Registrar(const char* name, void (*run)()) { registry().push_back({name, run}); }
};

// Records one check in the current case: prints "  ok|FAIL  <what>" and counts failures.
void record(bool ok, const std::string& what);
// A measured error against its bound (NaN fails).
void check_error(const std::string& what, double error, double bound);
int failures_in_current_case();
void begin_case();

}  // namespace fluxgen::gpu_test

#define GPU_TEST(name)                                                                \
  static void gpu_test_##name();                                                      \
  static ::fluxgen::gpu_test::Registrar gpu_test_registrar_##name(#name, gpu_test_##name); \
  static void gpu_test_##name()

#define CHECK_TRUE(cond)                                                                              \
  ::fluxgen::gpu_test::record(static_cast<bool>(cond), std::string(#cond) + " (" + __FILE__ + ":" + \
                                                           std::to_string(__LINE__) + ")")

// Passes when `statement` throws a fluxgen::Error.
#define CHECK_THROWS(statement)                                                                   \
  do {                                                                                            \
    bool thrown_ = false;                                                                         \
    try {                                                                                         \
      statement;                                                                                  \
    } catch (const ::fluxgen::Error&) {                                                           \
      thrown_ = true;                                                                             \
    }                                                                                             \
    ::fluxgen::gpu_test::record(thrown_, std::string("throws: ") + #statement + " (" + __FILE__ + \
                                             ":" + std::to_string(__LINE__) + ")");               \
  } while (0)
