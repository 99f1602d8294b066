#include "backend/cuda/small_batch_linear.h"

#include "backend/cuda/cuda_check.h"
#include "backend/cuda/decode8.cuh"
#include "backend/cuda/device_math.cuh"

namespace fluxgen::cuda::kernels {

namespace {

constexpr int kWarps = 8;
constexpr int kRowsPerWarp = 2;     // output features per warp: each x chunk read serves both
constexpr int kChunk = 1024;        // x elements per row staged in shared memory at a time
constexpr int kMaxRows = static_cast<int>(kSmallBatchRows);

template <DType S, typename T>
__global__ void __launch_bounds__(kWarps * 32)
    small_batch_linear_kernel(const void* w, const float* absmax, int block, CodeTable table, int64_t N, int64_t K,
                              const T* x, int M, const T* bias, T* y) {
  __shared__ float codes[16];
  __shared__ __align__(16) float xs[kMaxRows][kChunk];
  if (threadIdx.x < 16) codes[threadIdx.x] = table.value[threadIdx.x];
  const int warp = threadIdx.x / 32, lane = threadIdx.x % 32;
  const int64_t n0 = (int64_t(blockIdx.x) * kWarps + warp) * kRowsPerWarp;
  float acc[kMaxRows][kRowsPerWarp] = {};
  for (int64_t k0 = 0; k0 < K; k0 += kChunk) {
    const int len = static_cast<int>(K - k0 < kChunk ? K - k0 : kChunk);
    __syncthreads();  // the previous chunk is no longer read
    for (int i = threadIdx.x; i < M * len; i += blockDim.x) {
      const int m = i / len, k = i % len;
      xs[m][k] = to_float(x[m * K + k0 + k]);
    }
    __syncthreads();
#pragma unroll
    for (int r = 0; r < kRowsPerWarp; ++r) {
      const int64_t n = n0 + r;
      if (n >= N) break;
      for (int k = lane * 8; k < len; k += 32 * 8) {
        float wv[8];
        load8<S>(w, (n * K + k0 + k) / 8, wv, absmax, block, codes);
#pragma unroll
        for (int m = 0; m < kMaxRows; ++m) {
          if (m >= M) break;
          const float4 a = *reinterpret_cast<const float4*>(&xs[m][k]);
          const float4 b = *reinterpret_cast<const float4*>(&xs[m][k + 4]);
          acc[m][r] += wv[0] * a.x + wv[1] * a.y + wv[2] * a.z + wv[3] * a.w + wv[4] * b.x + wv[5] * b.y +
                       wv[6] * b.z + wv[7] * b.w;
        }
      }
    }
  }
#pragma unroll
  for (int r = 0; r < kRowsPerWarp; ++r) {
    const int64_t n = n0 + r;
#pragma unroll
    for (int m = 0; m < kMaxRows; ++m) {
      const float v = warp_sum(acc[m][r]);
      if (lane == 0 && m < M && n < N) y[m * N + n] = from_float<T>(v + (bias ? to_float(bias[n]) : 0.0f));
    }
  }
}

template <DType S, typename T>
void launch(const void* w, const float* absmax, int block, const CodeTable& codes, int64_t N, int64_t K,
            const void* x, int64_t M, const void* bias, void* y, cudaStream_t stream) {
  const int64_t rows_per_block = kWarps * kRowsPerWarp;
  const unsigned grid = static_cast<unsigned>((N + rows_per_block - 1) / rows_per_block);
  small_batch_linear_kernel<S, T><<<grid, kWarps * 32, 0, stream>>>(w, absmax, block, codes, N, K,
                                                                    static_cast<const T*>(x), static_cast<int>(M),
                                                                    static_cast<const T*>(bias), static_cast<T*>(y));
  check_launch("small_batch_linear");
}

template <typename T>
void launch_format(DType s, const void* w, const float* absmax, int block, const CodeTable& codes, int64_t N, int64_t K,
                   const void* x, int64_t M, const void* bias, void* y, cudaStream_t stream) {
  switch (s) {
    case DType::NF4: return launch<DType::NF4, T>(w, absmax, block, codes, N, K, x, M, bias, y, stream);
    case DType::FP4: return launch<DType::FP4, T>(w, absmax, block, codes, N, K, x, M, bias, y, stream);
    case DType::F8_E4M3: return launch<DType::F8_E4M3, T>(w, absmax, block, codes, N, K, x, M, bias, y, stream);
    case DType::F8_E5M2: return launch<DType::F8_E5M2, T>(w, absmax, block, codes, N, K, x, M, bias, y, stream);
    case DType::BF16: return launch<DType::BF16, T>(w, absmax, block, codes, N, K, x, M, bias, y, stream);
    case DType::F16: return launch<DType::F16, T>(w, absmax, block, codes, N, K, x, M, bias, y, stream);
    case DType::Q8_0: return launch<DType::Q8_0, T>(w, absmax, block, codes, N, K, x, M, bias, y, stream);
    case DType::Q4_0: return launch<DType::Q4_0, T>(w, absmax, block, codes, N, K, x, M, bias, y, stream);
    case DType::Q4_1: return launch<DType::Q4_1, T>(w, absmax, block, codes, N, K, x, M, bias, y, stream);
    case DType::Q5_0: return launch<DType::Q5_0, T>(w, absmax, block, codes, N, K, x, M, bias, y, stream);
    case DType::Q5_1: return launch<DType::Q5_1, T>(w, absmax, block, codes, N, K, x, M, bias, y, stream);
    case DType::Q2_K: return launch<DType::Q2_K, T>(w, absmax, block, codes, N, K, x, M, bias, y, stream);
    case DType::Q3_K: return launch<DType::Q3_K, T>(w, absmax, block, codes, N, K, x, M, bias, y, stream);
    case DType::Q4_K: return launch<DType::Q4_K, T>(w, absmax, block, codes, N, K, x, M, bias, y, stream);
    case DType::Q5_K: return launch<DType::Q5_K, T>(w, absmax, block, codes, N, K, x, M, bias, y, stream);
    case DType::Q6_K: return launch<DType::Q6_K, T>(w, absmax, block, codes, N, K, x, M, bias, y, stream);
    default: return launch<DType::F32, T>(w, absmax, block, codes, N, K, x, M, bias, y, stream);
  }
}

}  // namespace

bool small_batch_linear_supported(DType w_type, const void* w, int64_t K, int block_size) {
  // GGUF rows are whole blocks (32 or 256 elements), read a byte at a time: any address will do.
  if (dtype_is_gguf_block(w_type)) return K % 8 == 0;
  const int gb = group_bytes(w_type);
  if (gb == 0 || K % 8 != 0 || reinterpret_cast<uintptr_t>(w) % static_cast<uintptr_t>(gb) != 0) return false;
  return !dtype_is_quantized_block(w_type) || block_size % 8 == 0;
}

void small_batch_linear(DType w_type, const void* w, const float* absmax, int block_size, const CodeTable& codes,
                        int64_t N, int64_t K, DType act, const void* x, int64_t M, const void* bias, void* y,
                        cudaStream_t stream) {
  if (M <= 0 || N <= 0) return;
  if (act == DType::F32)
    launch_format<float>(w_type, w, absmax, block_size, codes, N, K, x, M, bias, y, stream);
  else
    launch_format<bf16>(w_type, w, absmax, block_size, codes, N, K, x, M, bias, y, stream);
}

}  // namespace fluxgen::cuda::kernels
