// Normal random numbers on the GPU from a counter-based hash (splitmix64) and Box–Muller: each
// element a pure function of (seed, index), so any tensor is drawn in one pass with no state.
#include <cuda_bf16.h>

#include <algorithm>
#include <cstdint>

#include "backend/cuda/cuda_check.h"
#include "backend/cuda/cuda_context.h"
#include "fill_normal.h"

namespace fluxgen::bench {

namespace {

__device__ __forceinline__ uint64_t splitmix64(uint64_t x) {
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

// A uniform in (0, 1] with 24 random bits.
__device__ __forceinline__ float uniform(uint64_t bits) {
  return (static_cast<float>(bits >> 40) + 1.0f) * (1.0f / 16777216.0f);
}

template <typename T>
__global__ void fill_normal_kernel(uint64_t seed, int64_t n, float mean, float std, T* out) {
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < n; i += int64_t(gridDim.x) * blockDim.x) {
    const float u1 = uniform(splitmix64(seed + 2 * static_cast<uint64_t>(i)));
    const float u2 = uniform(splitmix64(seed + 2 * static_cast<uint64_t>(i) + 1));
    const float z = sqrtf(-2.0f * logf(u1)) * cospif(2.0f * u2);
    const float v = mean + std * z;
    if constexpr (sizeof(T) == 4)
      out[i] = v;
    else
      out[i] = __float2bfloat16_rn(v);
  }
}

}  // namespace

void fill_normal_on_device(uint64_t seed, int64_t n, float mean, float std, DType out, void* dst) {
  if (n <= 0) return;
  const int threads = 256;
  const unsigned blocks = static_cast<unsigned>(std::min<int64_t>((n + threads - 1) / threads, 65536));
  cudaStream_t stream = cuda::Context::get().stream();
  if (out == DType::F32)
    fill_normal_kernel<float><<<blocks, threads, 0, stream>>>(seed, n, mean, std, static_cast<float*>(dst));
  else
    fill_normal_kernel<__nv_bfloat16><<<blocks, threads, 0, stream>>>(seed, n, mean, std,
                                                                       static_cast<__nv_bfloat16*>(dst));
  cuda::check_launch("fill_normal");
}

}  // namespace fluxgen::bench
