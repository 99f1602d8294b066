// fluxgen_gpu_tests: every CUDA kernel against the CPU backend on random inputs, and the fixture
// models on the GPU against their references. Without a CUDA device it prints
// "SKIP: no CUDA device" and succeeds, so CI (no GPU) runs it too.
// Usage: fluxgen_gpu_tests [substring]   runs the cases whose name contains the substring.
#include <cstdio>
#include <cstring>

#include "gpu_check.h"

int main(int argc, char** argv) {
  using namespace fluxgen;
  const std::string& skip_reason = gpu_test::prepare_device();
  if (!skip_reason.empty()) {
    std::printf("SKIP: %s\n", skip_reason.c_str());
    return 0;
  }
  const char* filter = argc > 1 ? argv[1] : nullptr;
  int failed = 0, run = 0;
  for (const auto& c : gpu_test::registry()) {
    if (filter && std::strstr(c.name.c_str(), filter) == nullptr) continue;
    ++run;
    if (!gpu_test::run_case(c.name.c_str(), c.run)) ++failed;
  }
  std::printf("\n%d of %d GPU test cases passed\n", run - failed, run);
  return failed == 0 ? 0 : 1;
}
