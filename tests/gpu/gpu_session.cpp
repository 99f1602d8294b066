// Device setup and the running of one case, shared by both ways the GPU cases are built.
#include <chrono>
#include <cstdio>
#include <exception>

#include "backend/cuda/cuda_context.h"
#include "backend/cuda/cuda_device.h"
#include "backend/cuda/cuda_install.h"
#include "gpu_check.h"

namespace fluxgen::gpu_test {

const std::string& prepare_device() {
  static const std::string reason = [] {
    const auto devices = cuda::list_devices();
    if (devices.empty()) return std::string("no CUDA device");
    if (!cuda::install())
      return "no CUDA device of compute capability 8.0 or newer (found " + devices.front().name + ")";
    cuda::Context& ctx = cuda::Context::get();
    ctx.allocator().set_poison(true);  // unwritten outputs read as NaN and fail their comparison
    std::printf("device: %s (sm_%d, %d SMs, %.1f GiB)\n", ctx.device().name.c_str(), ctx.device().sm,
                ctx.device().multiprocessors, static_cast<double>(ctx.device().total_memory) / (1 << 30));
    return std::string();
  }();
  return reason;
}

bool run_case(const char* name, void (*run)()) {
  std::printf("[ RUN  ] %s\n", name);
  std::fflush(stdout);
  begin_case();
  const auto start = std::chrono::steady_clock::now();
  bool ok = true;
  try {
    run();
    cuda::Context::get().synchronize();  // errors raised inside kernels surface here
  } catch (const std::exception& e) {
    std::printf("  FAIL  exception: %s\n", e.what());
    ok = false;
  }
  ok = ok && failures_in_current_case() == 0;
  const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  std::printf("[ %s ] %s (%.0f ms)\n", ok ? " OK " : "FAIL", name, ms);
  std::fflush(stdout);
  return ok;
}

}  // namespace fluxgen::gpu_test
