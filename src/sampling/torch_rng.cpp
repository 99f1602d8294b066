#include "sampling/torch_rng.h"

#include "util/error.h"
#include "util/strings.h"

namespace fluxgen::sampling {

NoiseSource parse_noise_source(std::string_view name) {
  const std::string n = to_lower(trim(name));
  if (n == "cpu") return NoiseSource::Cpu;
  if (n == "cuda" || n == "gpu") return NoiseSource::Cuda;
  fail("unknown noise source '", name, "': valid names are cpu, cuda (or gpu)");
}

std::string noise_source_name(NoiseSource source) { return source == NoiseSource::Cpu ? "cpu" : "cuda"; }

TorchGenerator::TorchGenerator(NoiseSource source, uint64_t seed, CudaLaunchGeometry geometry)
    : impl_(source == NoiseSource::Cpu ? decltype(impl_)(TorchCpuGenerator(seed))
                                       : decltype(impl_)(TorchCudaGenerator(seed, geometry))) {}

std::vector<float> TorchGenerator::randn(int64_t numel) {
  return std::visit([numel](auto& g) { return g.randn(numel); }, impl_);
}

Tensor TorchGenerator::randn(const Shape& shape) {
  check(!shape.empty(), "noise shape is empty");
  int64_t numel = 1;
  for (const int64_t d : shape) {
    check(d >= 1, "noise shape ", shape_string(shape), " has a dimension < 1");
    check(d <= kMaxNoiseElements && numel <= kMaxNoiseElements / d, "noise shape ", shape_string(shape),
          " has more than ", kMaxNoiseElements, " elements");
    numel *= d;
  }
  return Tensor::from_vector(shape, randn(numel));
}

Tensor torch_randn(NoiseSource source, uint64_t seed, const Shape& shape, CudaLaunchGeometry geometry) {
  return TorchGenerator(source, seed, geometry).randn(shape);
}

}  // namespace fluxgen::sampling
