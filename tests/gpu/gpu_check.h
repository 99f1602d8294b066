// A tiny self-contained check harness for the GPU cases. They build two ways: into the plain
// program fluxgen_gpu_tests (the GPU machine has no GoogleTest; GPU_TEST registers a case there)
// and, where GoogleTest exists, into fluxgen_tests (FLUXGEN_GPU_TESTS_IN_GTEST: GPU_TEST becomes
// TEST(CudaKernels, name), skipped with GTEST_SKIP when there is no device). CHECK_* record
// failures and let the case go on; an exception fails the case. Every comparison prints its
// measured error, so a run's log is the table of how far each kernel is from the CPU reference.
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

// Sets the GPU up for the cases once (CUDA backend installed, allocations poisoned with NaN so
// unwritten outputs fail); returns why the cases cannot run here, or "" when they can.
const std::string& prepare_device();
// Runs one case and synchronizes (errors raised inside kernels surface there); prints its result
// and returns whether every check passed and nothing threw.
bool run_case(const char* name, void (*run)());

}  // namespace fluxgen::gpu_test

#ifdef FLUXGEN_GPU_TESTS_IN_GTEST
#include <gtest/gtest.h>
#define GPU_TEST(name)                                                                      \
  static void gpu_test_##name();                                                            \
  TEST(CudaKernels, name) {                                                                 \
    const std::string& skip_reason_ = ::fluxgen::gpu_test::prepare_device();                \
    if (!skip_reason_.empty()) GTEST_SKIP() << skip_reason_;                                \
    EXPECT_TRUE(::fluxgen::gpu_test::run_case(#name, gpu_test_##name)) << "see FAIL above"; \
  }                                                                                         \
  static void gpu_test_##name()
#else
#define GPU_TEST(name)                                                                \
  static void gpu_test_##name();                                                      \
  static ::fluxgen::gpu_test::Registrar gpu_test_registrar_##name(#name, gpu_test_##name); \
  static void gpu_test_##name()
#endif

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
