#include "backend/cuda/cuda_check.h"
#include "backend/cuda/device_math.cuh"
#include "backend/cuda/launch.h"
#include "backend/cuda/modulation_kernels.h"

namespace fluxgen::cuda::kernels {

namespace {

constexpr int kRowsPerBlock = kThreads / 32;  // one warp per row, as layer_norm

template <typename T>
__global__ void modulated_layer_norm_kernel(const T* x, const T* scale, const T* shift, T* y, int64_t rows, int64_t D,
                                            int64_t tokens, float eps) {
  const int64_t row = blockIdx.x * int64_t(kRowsPerBlock) + threadIdx.x / 32;
  const int lane = threadIdx.x % 32;
  if (row >= rows) return;
  const T* in = x + row * D;
  T* out = y + row * D;
  const T* s = scale + (row / tokens) * D;
  const T* sh = shift + (row / tokens) * D;
  const RowStats st = row_stats(in, D, lane, eps);
  for (int64_t i = lane; i < D; i += 32)
    out[i] = from_float<T>((to_float(in[i]) - st.mean) * st.inv_std * (1.0f + to_float(s[i])) + to_float(sh[i]));
}

template <typename T>
__global__ void gated_add_kernel(const T* x, const T* gate, const T* y, T* out, int64_t n, int64_t D, int64_t tokens) {
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < n; i += int64_t(gridDim.x) * blockDim.x) {
    const int64_t row = i / D, col = i - row * D;
    out[i] = from_float<T>(to_float(x[i]) + to_float(gate[(row / tokens) * D + col]) * to_float(y[i]));
  }
}

unsigned row_grid(int64_t rows) { return static_cast<unsigned>((rows + kRowsPerBlock - 1) / kRowsPerBlock); }

}  // namespace

void modulated_layer_norm(DType t, const void* x, const void* scale, const void* shift, void* y, int64_t rows,
                          int64_t D, int64_t tokens, float eps, cudaStream_t stream) {
  if (rows <= 0) return;
  if (t == DType::F32)
    modulated_layer_norm_kernel<float><<<row_grid(rows), kThreads, 0, stream>>>(
        static_cast<const float*>(x), static_cast<const float*>(scale), static_cast<const float*>(shift),
        static_cast<float*>(y), rows, D, tokens, eps);
  else
    modulated_layer_norm_kernel<bf16><<<row_grid(rows), kThreads, 0, stream>>>(
        static_cast<const bf16*>(x), static_cast<const bf16*>(scale), static_cast<const bf16*>(shift),
        static_cast<bf16*>(y), rows, D, tokens, eps);
  check_launch("modulated_layer_norm");
}

void gated_add(DType t, const void* x, const void* gate, const void* y, void* out, int64_t rows, int64_t D,
               int64_t tokens, cudaStream_t stream) {
  const int64_t n = rows * D;
  if (n <= 0) return;
  if (t == DType::F32)
    gated_add_kernel<float><<<grid_for(n), kThreads, 0, stream>>>(static_cast<const float*>(x),
                                                                   static_cast<const float*>(gate),
                                                                   static_cast<const float*>(y), static_cast<float*>(out),
                                                                   n, D, tokens);
  else
    gated_add_kernel<bf16><<<grid_for(n), kThreads, 0, stream>>>(static_cast<const bf16*>(x),
                                                                  static_cast<const bf16*>(gate),
                                                                  static_cast<const bf16*>(y), static_cast<bf16*>(out),
                                                                  n, D, tokens);
  check_launch("gated_add");
}

}  // namespace fluxgen::cuda::kernels
