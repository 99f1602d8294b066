// FLUX's rotary embedding (apply_rope): each interleaved pair (x0, x1) of the head dimension
// rotated by its angle: (c·x0 − s·x1, s·x0 + c·x1), angles from fp32 (or narrower) cos/sin tables.
#include "backend/cuda/attention_kernels.h"
#include "backend/cuda/cuda_check.h"
#include "backend/cuda/device_math.cuh"
#include "backend/cuda/launch.h"

namespace fluxgen::cuda::kernels {

namespace {

template <typename T>
__global__ void rope_kernel(const T* x, T* y, int64_t B, int64_t H, int64_t L, int64_t half, ParamRef cs, ParamRef sn,
                            bool per_batch) {
  const int64_t pairs = B * H * L * half;
  for (int64_t p = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; p < pairs; p += int64_t(gridDim.x) * blockDim.x) {
    const int64_t i = p % half, l = (p / half) % L, b = p / (half * L * H);
    const int64_t t = (per_batch ? b * L * half : 0) + l * half + i;
    const float c = load_param(cs, t), s = load_param(sn, t);
    const float x0 = to_float(x[2 * p]), x1 = to_float(x[2 * p + 1]);
    y[2 * p] = from_float<T>(c * x0 - s * x1);
    y[2 * p + 1] = from_float<T>(s * x0 + c * x1);
  }
}

}  // namespace

void rope(DType t, const void* x, void* y, int64_t B, int64_t H, int64_t L, int64_t half, ParamRef cos, ParamRef sin,
          bool per_batch, cudaStream_t stream) {
  const int64_t pairs = B * H * L * half;
  if (pairs <= 0) return;
  if (t == DType::F32)
    rope_kernel<float><<<grid_for(pairs), kThreads, 0, stream>>>(static_cast<const float*>(x), static_cast<float*>(y),
                                                                  B, H, L, half, cos, sin, per_batch);
  else
    rope_kernel<bf16><<<grid_for(pairs), kThreads, 0, stream>>>(static_cast<const bf16*>(x), static_cast<bf16*>(y), B,
                                                                 H, L, half, cos, sin, per_batch);
  check_launch("rope");
}

}  // namespace fluxgen::cuda::kernels
