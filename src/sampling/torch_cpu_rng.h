// torch.Generator('cpu') and torch.randn on it, reproduced exactly (float32 output).
//
// PyTorch's CPU generator (aten/src/ATen/CPUGeneratorImpl.cpp) is the standard 32-bit MT19937
// seeded with the low 32 bits of the seed, plus a cached second Box-Muller normal for the scalar
// path. torch.randn fills a float32 tensor two ways (aten/src/ATen/native/cpu/DistributionTemplates.h):
//  - >= 16 elements (every latent): one 24-bit uniform per element from one 32-bit draw, then
//    Box-Muller over 16-element chunks, pairing element j with j+8 (u1 = 1 - data[j]; cos goes to
//    j, sin to j+8); when the size is not a multiple of 16 the last 16 elements are refilled with
//    fresh uniforms and transformed again. On x86 this runs the AVX2 Cephes log/sincos
//    (cephes_float_math.h), which we reproduce bit for bit.
//  - < 16 elements: at::normal_distribution<double> per element: two 53-bit uniforms (each from
//    two 32-bit draws, the first the high word), r = sqrt(-2 log1p(-u2)), theta = 2 pi u1, returns
//    r cos(theta) and caches r sin(theta) in the generator for the next element or call.
// Successive randn calls on one generator continue the stream, as Forge's per-image generators do
// for ancestral noise after the initial latent noise.
#pragma once
#include <cstdint>
#include <optional>
#include <random>
#include <vector>

namespace fluxgen::sampling {

class TorchCpuGenerator {
 public:
  // torch.Generator('cpu').manual_seed(seed).
  explicit TorchCpuGenerator(uint64_t seed);

  // The float32 values of torch.randn(numel elements, generator=this) (any shape with that many
  // elements: the fill is in memory order). numel >= 0.
  std::vector<float> randn(int64_t numel);

 private:
  float uniform_float();    // at::uniform_real_distribution<float>(0, 1)
  double uniform_double();  // at::uniform_real_distribution<double>(0, 1)
  double normal_double();   // at::normal_distribution<double>(0, 1), with the generator's cache
  void fill_vectorized(float* data, int64_t numel);

  std::mt19937 engine_;  // the standard MT19937 is exactly at::mt19937
  std::optional<double> cached_normal_;
};

// torch.randn(numel, generator=torch.Generator('cpu').manual_seed(seed)).
std::vector<float> torch_randn_cpu(uint64_t seed, int64_t numel);

}  // namespace fluxgen::sampling
