#include "backend/cuda/cuda_check.h"
#include "backend/cuda/device_math.cuh"
#include "backend/cuda/launch.h"
#include "backend/cuda/normalization_kernels.h"

namespace fluxgen::cuda::kernels {

namespace {

constexpr int kRowsPerBlock = kThreads / 32;  // one warp per row

// One warp per row; the row is read from global memory on each pass (it stays in L1).
template <typename T>
__global__ void layer_norm_kernel(const T* x, T* y, int64_t rows, int64_t D, ParamRef w, ParamRef b, float eps) {
  const int64_t row = blockIdx.x * int64_t(kRowsPerBlock) + threadIdx.x / 32;
  const int lane = threadIdx.x % 32;
  if (row >= rows) return;
  const T* in = x + row * D;
  T* out = y + row * D;
  const RowStats st = row_stats(in, D, lane, eps);
  for (int64_t i = lane; i < D; i += 32) {
    float v = (to_float(in[i]) - st.mean) * st.inv_std;
    if (w.p) v *= load_param(w, i);
    if (b.p) v += load_param(b, i);
    out[i] = from_float<T>(v);
  }
}

template <typename T>
__global__ void rms_norm_kernel(const T* x, T* y, int64_t rows, int64_t D, ParamRef w, float eps) {
  const int64_t row = blockIdx.x * int64_t(kRowsPerBlock) + threadIdx.x / 32;
  const int lane = threadIdx.x % 32;
  if (row >= rows) return;
  const T* in = x + row * D;
  T* out = y + row * D;
  float sq = 0.0f;
  for (int64_t i = lane; i < D; i += 32) {
    const float v = to_float(in[i]);
    sq += v * v;
  }
  const float inv = rsqrtf(warp_sum(sq) / static_cast<float>(D) + eps);
  for (int64_t i = lane; i < D; i += 32) {
    const float v = to_float(in[i]) * inv;
    out[i] = from_float<T>(w.p ? v * load_param(w, i) : v);
  }
}

template <typename T>
__global__ void softmax_kernel(const T* x, T* y, int64_t rows, int64_t D) {
  const int64_t row = blockIdx.x * int64_t(kRowsPerBlock) + threadIdx.x / 32;
  const int lane = threadIdx.x % 32;
  if (row >= rows) return;
  const T* in = x + row * D;
  T* out = y + row * D;
  float mx = -INFINITY;
  for (int64_t i = lane; i < D; i += 32) mx = fmaxf(mx, to_float(in[i]));
  mx = warp_max(mx);
  float sum = 0.0f;
  for (int64_t i = lane; i < D; i += 32) sum += expf(to_float(in[i]) - mx);
  const float inv = 1.0f / warp_sum(sum);
  for (int64_t i = lane; i < D; i += 32) out[i] = from_float<T>(expf(to_float(in[i]) - mx) * inv);
}

__device__ __forceinline__ float block_sum(float v) {
  __shared__ float partial[32];
  v = warp_sum(v);
  const int warp = threadIdx.x / 32, lane = threadIdx.x % 32;
  __syncthreads();  // partial may still be read from a previous call
  if (lane == 0) partial[warp] = v;
  __syncthreads();
  float total = 0.0f;
  if (warp == 0) {
    total = lane < static_cast<int>(blockDim.x / 32) ? partial[lane] : 0.0f;
    total = warp_sum(total);
  }
  return total;  // valid in thread 0
}

// Group (blockIdx.y) statistics over chunks (blockIdx.x): pass 0 sums x, pass 1 sums (x − mean)².
template <typename T>
__global__ void group_stats_kernel(const T* x, int64_t group_size, double* acc, int pass) {
  const int64_t g = blockIdx.y;
  const T* base = x + g * group_size;
  const float mean = pass == 0 ? 0.0f : static_cast<float>(acc[2 * g] / static_cast<double>(group_size));
  float s = 0.0f;
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < group_size; i += int64_t(gridDim.x) * blockDim.x) {
    const float v = to_float(base[i]);
    s += pass == 0 ? v : (v - mean) * (v - mean);
  }
  s = block_sum(s);
  if (threadIdx.x == 0) atomicAdd(&acc[2 * g + pass], static_cast<double>(s));
}

// Per group: mean and 1/sqrt(var + eps) as floats for the elementwise pass.
__global__ void group_finalize_kernel(double* acc, int64_t groups, int64_t group_size, float eps, float* mean_inv) {
  const int64_t g = blockIdx.x * int64_t(blockDim.x) + threadIdx.x;
  if (g >= groups) return;
  const double n = static_cast<double>(group_size);
  mean_inv[2 * g] = static_cast<float>(acc[2 * g] / n);
  mean_inv[2 * g + 1] = static_cast<float>(1.0 / sqrt(acc[2 * g + 1] / n + static_cast<double>(eps)));
}

template <typename T>
__global__ void group_apply_kernel(const T* x, T* y, int64_t n, int64_t C, int64_t spatial, int64_t group_size,
                                   const float* mean_inv, ParamRef w, ParamRef b) {
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < n; i += int64_t(gridDim.x) * blockDim.x) {
    const int64_t g = i / group_size, c = (i / spatial) % C;
    float v = (to_float(x[i]) - mean_inv[2 * g]) * mean_inv[2 * g + 1];
    if (w.p) v *= load_param(w, c);
    if (b.p) v += load_param(b, c);
    y[i] = from_float<T>(v);
  }
}

template <typename T>
void group_norm_typed(const void* xv, void* yv, int64_t N, int64_t C, int64_t spatial, int groups, ParamRef w,
                      ParamRef b, float eps, double* scratch, cudaStream_t stream) {
  const T* x = static_cast<const T*>(xv);
  T* y = static_cast<T*>(yv);
  const int64_t total_groups = N * groups, group_size = C / groups * spatial, n = N * C * spatial;
  check_cuda(cudaMemsetAsync(scratch, 0, sizeof(double) * 2 * total_groups, stream), "group_norm memset");
  const dim3 grid(grid_for(group_size, 8 * kThreads), static_cast<unsigned>(total_groups));
  group_stats_kernel<T><<<grid, kThreads, 0, stream>>>(x, group_size, scratch, 0);
  check_launch("group_norm statistics");
  group_stats_kernel<T><<<grid, kThreads, 0, stream>>>(x, group_size, scratch, 1);
  check_launch("group_norm statistics");
  float* mean_inv = reinterpret_cast<float*>(scratch + 2 * total_groups);
  group_finalize_kernel<<<grid_for(total_groups), kThreads, 0, stream>>>(scratch, total_groups, group_size, eps,
                                                                          mean_inv);
  check_launch("group_norm finalize");
  group_apply_kernel<T><<<grid_for(n), kThreads, 0, stream>>>(x, y, n, C, spatial, group_size, mean_inv, w, b);
  check_launch("group_norm");
}

unsigned row_grid(int64_t rows) { return static_cast<unsigned>((rows + kRowsPerBlock - 1) / kRowsPerBlock); }

}  // namespace

void layer_norm(DType t, const void* x, void* y, int64_t rows, int64_t D, ParamRef weight, ParamRef bias, float eps,
                cudaStream_t stream) {
  if (rows <= 0) return;
  if (t == DType::F32)
    layer_norm_kernel<float><<<row_grid(rows), kThreads, 0, stream>>>(static_cast<const float*>(x),
                                                                      static_cast<float*>(y), rows, D, weight, bias, eps);
  else
    layer_norm_kernel<bf16><<<row_grid(rows), kThreads, 0, stream>>>(static_cast<const bf16*>(x), static_cast<bf16*>(y),
                                                                     rows, D, weight, bias, eps);
  check_launch("layer_norm");
}

void rms_norm(DType t, const void* x, void* y, int64_t rows, int64_t D, ParamRef weight, float eps,
              cudaStream_t stream) {
  if (rows <= 0) return;
  if (t == DType::F32)
    rms_norm_kernel<float><<<row_grid(rows), kThreads, 0, stream>>>(static_cast<const float*>(x),
                                                                    static_cast<float*>(y), rows, D, weight, eps);
  else
    rms_norm_kernel<bf16><<<row_grid(rows), kThreads, 0, stream>>>(static_cast<const bf16*>(x), static_cast<bf16*>(y),
                                                                   rows, D, weight, eps);
  check_launch("rms_norm");
}

void group_norm(DType t, const void* x, void* y, int64_t N, int64_t C, int64_t spatial, int groups, ParamRef weight,
                ParamRef bias, float eps, double* scratch, cudaStream_t stream) {
  if (N * C * spatial <= 0) return;
  if (t == DType::F32)
    group_norm_typed<float>(x, y, N, C, spatial, groups, weight, bias, eps, scratch, stream);
  else
    group_norm_typed<bf16>(x, y, N, C, spatial, groups, weight, bias, eps, scratch, stream);
}

void softmax(DType t, const void* x, void* y, int64_t rows, int64_t D, cudaStream_t stream) {
  if (rows <= 0) return;
  if (t == DType::F32)
    softmax_kernel<float><<<row_grid(rows), kThreads, 0, stream>>>(static_cast<const float*>(x),
                                                                   static_cast<float*>(y), rows, D);
  else
    softmax_kernel<bf16><<<row_grid(rows), kThreads, 0, stream>>>(static_cast<const bf16*>(x), static_cast<bf16*>(y),
                                                                  rows, D);
  check_launch("softmax");
}

}  // namespace fluxgen::cuda::kernels
