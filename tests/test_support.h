// Shared helpers for the test suite: fixture lookup, error metrics, running the CLI.
#pragma once
#include <functional>
#include <string>
#include <vector>

#include "tensor/tensor.h"

namespace fluxgen::test {

// Path of a fixture file (tests/fixtures/<name>), or of FLUXGEN_FIXTURES/<name> when that
// environment variable is set.
std::string fixture(const std::string& name);
// ||a - b|| / ||b|| over all elements (any dtypes, equal element counts).
double rel_l2(const Tensor& a, const Tensor& b);
double max_abs_diff(const Tensor& a, const Tensor& b);
// The message of the fluxgen::Error `fn` throws, or "(no error)".
std::string error_of(const std::function<void()>& fn);
// A fresh, empty temporary directory removed at process exit.
std::string temp_dir();

struct CommandResult {
  int exit_code;
  std::string out;  // stdout
  std::string err;  // stderr
};
// Runs the built fluxgen program with arguments (shell-quoted here).
CommandResult run_fluxgen(const std::vector<std::string>& args);
bool fluxgen_built();
// Any program, run the same way.
CommandResult run_program(const std::string& binary, const std::vector<std::string>& args);
// The benchmarks' flux_random_models program, or "" when the benchmarks were not built.
std::string random_models_binary();

}  // namespace fluxgen::test

// Skips the current test when the fluxgen program was not built (no CLI11 on this machine).
#define FLUXGEN_REQUIRE_CLI() \
  if (!::fluxgen::test::fluxgen_built()) GTEST_SKIP() << "the fluxgen program was not built"

namespace fluxgen::test {

}  // namespace fluxgen::test
