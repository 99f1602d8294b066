// fluxgen_gpu_tests: every CUDA kernel against the CPU backend on random inputs, and the fixture
// models on the GPU against their references. Without a CUDA device it prints
// "SKIP: no CUDA device" and succeeds, so CI (no GPU) runs it too.
// Usage: fluxgen_gpu_tests [substring]   runs the cases whose name contains the substring.
#include <chrono>
#include <cstdio>
#include <cstring>
#include <exception>

#include "backend/cuda/cuda_context.h"
#include "backend/cuda/cuda_device.h"
#include "backend/cuda/cuda_install.h"
#include "gpu_check.h"

int main(int argc, char** argv) {
  using namespace fluxgen;
  const auto devices = cuda::list_devices();
  if (devices.empty()) {
    std::printf("SKIP: no CUDA device\n");
    return 0;
  }
  if (!cuda::install()) {
    std::printf("SKIP: no CUDA device of compute capability 8.0 or newer (found %s)\n", devices.front().name.c_str());
    return 0;
  }
  cuda::Context& ctx = cuda::Context::get();
  ctx.allocator().set_poison(true);  // unwritten outputs read as NaN and fail their comparison
  std::printf("device: %s (sm_%d, %d SMs, %.1f GiB)\n", ctx.device().name.c_str(), ctx.device().sm,
              ctx.device().multiprocessors, static_cast<double>(ctx.device().total_memory) / (1 << 30));
  const char* filter = argc > 1 ? argv[1] : nullptr;
  int failed = 0, run = 0;
  for (const auto& c : gpu_test::registry()) {
    if (filter && std::strstr(c.name.c_str(), filter) == nullptr) continue;
    ++run;
    std::printf("[ RUN  ] %s\n", c.name.c_str());
    std::fflush(stdout);
    gpu_test::begin_case();
    const auto start = std::chrono::steady_clock::now();
    bool ok = true;
    try {
      c.run();
      ctx.synchronize();  // errors raised inside kernels surface here
    } catch (const std::exception& e) {
      std::printf("  FAIL  exception: %s\n", e.what());
      ok = false;
    }
    ok = ok && gpu_test::failures_in_current_case() == 0;
    const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
    std::printf("[ %s ] %s (%.0f ms)\n", ok ? " OK " : "FAIL", c.name.c_str(), ms);
    if (!ok) ++failed;
  }
  std::printf("\n%d of %d GPU test cases passed\n", run - failed, run);
  return failed == 0 ? 0 : 1;
}
