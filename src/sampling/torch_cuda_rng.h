// torch.randn on a CUDA generator (what Forge/A1111 use with the default "GPU" noise source),
// computed on the CPU.
//
// PyTorch (aten/src/ATen/native/cuda/DistributionTemplates.h) launches a grid-stride kernel of
// 256-thread blocks, grid = min(ceil(numel / 256), SMs * (max threads per SM / 256)). Thread
// `idx` calls curand_init(seed, subsequence = idx, offset = the generator's Philox offset) and,
// per loop iteration, one curand_normal4 whose four values go to elements
// li, li + stride, li + 2 stride, li + 3 stride (stride = threads in the grid, li from idx in
// steps of 4 stride). curand_normal4 is Box-Muller on two pairs of 32-bit Philox words:
// u = x 2^-32 + 2^-33, v = y 2^-32 2pi + 2^-32 pi, s = sqrt(-2 log u), (s sin v, s cos v).
// After the call the generator's offset advances by 4 * (loop iterations per thread).
//
// Exactness: the Philox words, their order and the launch geometry are exact, and so is every
// element's u, v and s (up to CUDA logf's last bit, rarely). The GPU evaluates sin/cos with
// __sincosf, i.e. the argument scaled to turns by a round-toward-zero multiply (reproduced here)
// and then the MUFU.SIN/COS hardware approximation (absolute error up to ~2^-21.4, whose exact
// tables are not public). We use the exact sine of the same turn count instead, so values differ
// from a GPU's by up to ~4e-7 * s: about 1e-6 at most for ordinary |x| < 4 (measured on the
// fixture: max 1.07e-6, relative L2 ~2e-7). The launch geometry matters once numel exceeds the
// grid's thread count (with the default below: 196608 elements, e.g. a 1024x1024 latent of 262144):
// then the values land in a different order on GPUs with other SM counts, so pass the user's GPU.
#pragma once
#include <array>
#include <cstdint>
#include <vector>

#include "sampling/curand_philox.h"

namespace fluxgen::sampling {

// The two device properties PyTorch's launch geometry reads. Common values:
// RTX 3090: 82 SMs, 1536 threads/SM; RTX 4090: 128, 1536; A100: 108, 2048; H100 SXM / H200: 132, 2048.
struct CudaLaunchGeometry {
  int multiprocessor_count = 128;            // default: RTX 4090, the usual FLUX.1-dev desktop GPU
  int max_threads_per_multiprocessor = 1536;
};

// curand_normal4(state): two Box-Muller pairs from the next four Philox words, (s sin v, s cos v)
// each, evaluated as described above.
std::array<float, 4> curand_normal4(CurandPhiloxState& state);

class TorchCudaGenerator {
 public:
  // torch.Generator('cuda').manual_seed(seed): Philox key = seed, offset 0.
  explicit TorchCudaGenerator(uint64_t seed, CudaLaunchGeometry geometry = {});

  // The float32 values of torch.randn(numel elements, generator=this, device='cuda'); advances the
  // Philox offset like PyTorch. 0 <= numel <= 2^31 - 1 (larger tensors are split by PyTorch into
  // several launches, which fluxgen does not model).
  std::vector<float> randn(int64_t numel);

  uint64_t philox_offset() const { return offset_; }

 private:
  uint64_t seed_;
  uint64_t offset_ = 0;
  CudaLaunchGeometry geometry_;
};

// torch.randn(numel, generator=torch.Generator('cuda').manual_seed(seed), device='cuda').
std::vector<float> torch_randn_cuda(uint64_t seed, int64_t numel, CudaLaunchGeometry geometry = {});

}  // namespace fluxgen::sampling
