#include "op_support.h"

#include <random>

#include "backend/cuda/cuda_install.h"
#include "gpu_check.h"
#include "test_support.h"

namespace fluxgen::gpu_test {

namespace {
const Mode* current = nullptr;
}

Backend& cpu() { return backend_for(Device::CPU); }
cuda::CudaBackend& gpu() { return *cuda::installed_backend(); }

Tensor random(const Shape& shape, uint64_t seed, float scale) {
  Tensor t = Tensor::empty(shape);
  std::mt19937_64 rng(seed);
  std::normal_distribution<float> dist(0.0f, scale);
  for (int64_t i = 0; i < t.numel(); ++i) t.f32()[i] = dist(rng);
  return t;
}

const std::vector<Mode>& modes() {
  static const std::vector<Mode> m = {{DType::F32, 1e-5, "f32"}, {DType::BF16, 1e-2, "bf16"}};
  return m;
}

void use(const Mode& mode) {
  cuda::CudaBackendOptions o;
  o.activations = mode.activations;
  gpu().set_options(o);
  current = &mode;
}

void expect_close(const std::string& what, const Tensor& gpu_result, const Tensor& cpu_result, double bound) {
  const Tensor host = gpu().download(gpu_result);
  const bool shapes = host.shape() == cpu_result.shape();
  if (!shapes) {
    record(false, what + ": shape " + host.describe() + " vs " + cpu_result.describe());
    return;
  }
  check_error(std::string(current ? current->name : "") + " " + what, test::rel_l2(host, cpu_result), bound);
}

}  // namespace fluxgen::gpu_test
