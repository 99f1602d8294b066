// Noise as PyTorch draws it for a seed, from either generator: the one entry point the pipeline
// uses. Forge/A1111 create one generator per image from its seed ("GPU" noise source: CUDA,
// "CPU": CPU), draw the initial latent noise from it, and keep drawing from the same generator for
// every ancestral step; ComfyUI and BFL use the CPU generator.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "sampling/torch_cpu_rng.h"
#include "sampling/torch_cuda_rng.h"
#include "tensor/tensor.h"

namespace fluxgen::sampling {

enum class NoiseSource { Cpu, Cuda };

// The largest noise tensor drawn at once: PyTorch's CUDA kernel needs 32-bit indexing, and no
// latent comes near it (a 2048x2048 FLUX latent has 1 Mi elements).
constexpr int64_t kMaxNoiseElements = (int64_t{1} << 31) - 1;

// "cpu" or "cuda" (also "gpu", Forge's name for it); case-insensitive. Anything else: an error
// listing the valid names.
NoiseSource parse_noise_source(std::string_view name);
std::string noise_source_name(NoiseSource source);

// A seeded torch generator of either kind; successive draws continue its stream.
class TorchGenerator {
 public:
  TorchGenerator(NoiseSource source, uint64_t seed, CudaLaunchGeometry geometry = {});

  std::vector<float> randn(int64_t numel);
  // torch.randn(shape) as a host F32 tensor. Every dimension >= 1, at most kMaxNoiseElements in all.
  Tensor randn(const Shape& shape);

 private:
  std::variant<TorchCpuGenerator, TorchCudaGenerator> impl_;
};

// torch.randn(shape, generator=Generator(source).manual_seed(seed)) as a host F32 tensor.
Tensor torch_randn(NoiseSource source, uint64_t seed, const Shape& shape, CudaLaunchGeometry geometry = {});

}  // namespace fluxgen::sampling
