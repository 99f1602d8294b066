// The fixture models on the GPU against their golden references: fp32 activations with fp32
// weights (as tight as the CPU engine), then bf16 activations with the files' own weights
// (within 2e-2, the fixtures' bound for a bf16-compute engine).
#include "device_parity.h"
#include "gpu_check.h"
#include "op_support.h"

namespace fluxgen::gpu_test {
namespace {

void run(const Mode& mode, std::optional<DType> weights, double bound) {
  use(mode);
  const auto results = test::run_device_parities({Device::CUDA, weights});
  CHECK_TRUE(results.size() == 11u);
  for (const auto& r : results) check_error(std::string(mode.name) + " " + r.name, r.error, bound);
}

GPU_TEST(fixture_models_fp32) { run(modes()[0], DType::F32, 1e-4); }
GPU_TEST(fixture_models_bf16) { run(modes()[1], std::nullopt, 2e-2); }

}  // namespace
}  // namespace fluxgen::gpu_test
