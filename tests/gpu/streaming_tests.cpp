// Weight streaming and the VRAM budget on the card: FLUX with every block streamed through the
// copy stream (pipeline/placement/weight_streamer.h) gives the resident run's output (the same
// kernels in the same order; a copy racing its use would not), for the file's dtypes and nf4,
// over two steps; an allocation past the budget is a DeviceOutOfMemory and the next one works.
#include "backend/backend.h"
#include "device_parity.h"
#include "gpu_check.h"
#include "op_support.h"
#include "util/error.h"

namespace fluxgen::gpu_test {
namespace {

GPU_TEST(streamed_flux_blocks_match_resident) {
  use(modes()[0]);  // fp32 activations: the comparison is exact
  const auto results = test::run_streaming_parities(Device::CUDA);
  CHECK_TRUE(results.size() == 2u);
  for (const auto& r : results) {
    check_error("streamed vs resident, " + r.name + ", step 1", r.step1, 1e-7);
    check_error("streamed vs resident, " + r.name + ", step 2", r.step2, 1e-7);
  }
}

GPU_TEST(allocations_past_the_budget_fail_cleanly) {
  Backend& gpu = backend_for(Device::CUDA);
  const DeviceMemory before = gpu.memory();
  gpu.set_memory_limit(before.reserved + (uint64_t(64) << 20));
  bool refused = false;
  try {
    gpu.upload(Tensor::zeros({int64_t(64) << 20}));  // 256 MiB of F32
  } catch (const DeviceOutOfMemory&) {
    refused = true;
  }
  CHECK_TRUE(refused);
  gpu.set_memory_limit(0);
  const Tensor ok = gpu.upload(Tensor::zeros({int64_t(1) << 20}));
  CHECK_TRUE(ok.device() == Device::CUDA);
  CHECK_TRUE(gpu.memory().total > 0 && gpu.memory().free <= gpu.memory().total);
}

}  // namespace
}  // namespace fluxgen::gpu_test
