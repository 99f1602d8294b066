#include "backend/cuda/convert_kernels.h"

#include "backend/cuda/cuda_check.h"
#include "backend/cuda/decode8.cuh"
#include "backend/cuda/device_math.cuh"
#include "backend/cuda/gguf_decode_kernels.h"
#include "backend/cuda/launch.h"

namespace fluxgen::cuda::kernels {

namespace {

template <DType S, typename Out>
__global__ void decode_vector_kernel(const void* src, const float* absmax, int block, CodeTable table, int64_t groups,
                                     void* dst) {
  __shared__ float codes[16];
  if (threadIdx.x < 16) codes[threadIdx.x] = table.value[threadIdx.x];
  __syncthreads();
  for (int64_t g = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; g < groups; g += int64_t(gridDim.x) * blockDim.x) {
    float v[8];
    load8<S>(src, g, v, absmax, block, codes);
    store8<Out>(dst, g, v);
  }
}

template <typename Out>
__global__ void decode_scalar_kernel(DType type, const void* src, const float* absmax, int block, CodeTable table,
                                     int64_t begin, int64_t n, Out* dst) {
  __shared__ float codes[16];
  if (threadIdx.x < 16) codes[threadIdx.x] = table.value[threadIdx.x];
  __syncthreads();
  for (int64_t i = begin + blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < n; i += int64_t(gridDim.x) * blockDim.x)
    dst[i] = from_float<Out>(decode_element(type, src, i, absmax, block, codes));
}

bool aligned(const void* p, int bytes) { return reinterpret_cast<uintptr_t>(p) % static_cast<uintptr_t>(bytes) == 0; }

template <typename Out>
void launch_vector(DType s, const void* src, const float* absmax, int block, const CodeTable& t, int64_t groups,
                   void* dst, cudaStream_t stream) {
  const unsigned grid = grid_for(groups);
  switch (s) {
    case DType::NF4: decode_vector_kernel<DType::NF4, Out><<<grid, kThreads, 0, stream>>>(src, absmax, block, t, groups, dst); break;
    case DType::FP4: decode_vector_kernel<DType::FP4, Out><<<grid, kThreads, 0, stream>>>(src, absmax, block, t, groups, dst); break;
    case DType::F8_E4M3: decode_vector_kernel<DType::F8_E4M3, Out><<<grid, kThreads, 0, stream>>>(src, absmax, block, t, groups, dst); break;
    case DType::F8_E5M2: decode_vector_kernel<DType::F8_E5M2, Out><<<grid, kThreads, 0, stream>>>(src, absmax, block, t, groups, dst); break;
    case DType::BF16: decode_vector_kernel<DType::BF16, Out><<<grid, kThreads, 0, stream>>>(src, absmax, block, t, groups, dst); break;
    case DType::F16: decode_vector_kernel<DType::F16, Out><<<grid, kThreads, 0, stream>>>(src, absmax, block, t, groups, dst); break;
    default: decode_vector_kernel<DType::F32, Out><<<grid, kThreads, 0, stream>>>(src, absmax, block, t, groups, dst); break;
  }
  check_launch("decode (vector)");
}

template <typename Out>
void decode_to(DType s, const void* src, const float* absmax, int block, const CodeTable& t, int64_t n, Out* dst,
               cudaStream_t stream) {
  int64_t begin = 0;
  const int gb = group_bytes(s);
  const bool quantized = s == DType::NF4 || s == DType::FP4;
  if (gb > 0 && aligned(src, gb) && aligned(dst, 16) && (!quantized || block % 8 == 0)) {
    const int64_t groups = n / 8;
    if (groups > 0) launch_vector<Out>(s, src, absmax, block, t, groups, dst, stream);
    begin = groups * 8;
  }
  if (begin < n) {
    decode_scalar_kernel<Out><<<grid_for(n - begin), kThreads, 0, stream>>>(s, src, absmax, block, t, begin, n, dst);
    check_launch("decode");
  }
}

__global__ void abs_max_kernel(DType type, const void* src, int64_t n, float* amax) {
  float m = 0.0f;
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < n; i += int64_t(gridDim.x) * blockDim.x) {
    const float v = type == DType::BF16 ? to_float(static_cast<const bf16*>(src)[i]) : static_cast<const float*>(src)[i];
    m = fmaxf(m, fabsf(v));
  }
  m = warp_max(m);
  __shared__ float partial[32];
  const int warp = threadIdx.x / 32, lane = threadIdx.x % 32;
  if (lane == 0) partial[warp] = m;
  __syncthreads();
  if (warp == 0) {
    m = lane < static_cast<int>(blockDim.x / 32) ? partial[lane] : 0.0f;
    m = warp_max(m);
    // Non-negative floats order like their bit patterns.
    if (lane == 0) atomicMax(reinterpret_cast<unsigned int*>(amax), __float_as_uint(m));
  }
}

__device__ __forceinline__ uint8_t to_fp8(float v, bool e4m3) {
  return static_cast<uint8_t>(__nv_cvt_float_to_fp8(v, __NV_SATFINITE, e4m3 ? __NV_E4M3 : __NV_E5M2));
}

__global__ void encode_fp8_scaled_kernel(DType type, const void* src, int64_t n, const float* amax, bool e4m3,
                                         uint8_t* dst, float* scale_out) {
  const float scale = fmaxf(*amax, 1e-12f) / (e4m3 ? 448.0f : 57344.0f);
  if (blockIdx.x == 0 && threadIdx.x == 0) *scale_out = scale;
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < n; i += int64_t(gridDim.x) * blockDim.x) {
    const float v = type == DType::BF16 ? to_float(static_cast<const bf16*>(src)[i]) : static_cast<const float*>(src)[i];
    dst[i] = to_fp8(v / scale, e4m3);
  }
}

__global__ void encode_fp8_kernel(DType type, const void* src, int64_t n, bool e4m3, uint8_t* dst) {
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < n; i += int64_t(gridDim.x) * blockDim.x) {
    const float v = type == DType::BF16 ? to_float(static_cast<const bf16*>(src)[i]) : static_cast<const float*>(src)[i];
    dst[i] = to_fp8(v, e4m3);
  }
}

__device__ __forceinline__ uint8_t bnb_code(bool nf4, float x, const Bnb4Thresholds& t) {
  int idx = 0;
  if (nf4) {
#pragma unroll
    for (int j = 0; j < 15; ++j) idx += x > t.nf4[j] ? 1 : 0;
    return static_cast<uint8_t>(idx);
  }
  const uint8_t sign = x < 0.0f ? 0x8 : 0x0;
  const float mag = fabsf(x);
#pragma unroll
  for (int j = 0; j < 7; ++j) idx += mag > t.fp4[j] ? 1 : 0;
  return static_cast<uint8_t>(sign | t.fp4_codes[idx]);
}

// One warp per quantization block: the block's absmax, then one byte (two codes) per lane step.
__global__ void quantize_bnb4_kernel(bool nf4, DType type, const void* src, int64_t n, int block_size,
                                     Bnb4Thresholds t, uint8_t* packed, float* absmax) {
  const int64_t warps = (int64_t(gridDim.x) * blockDim.x) / 32;
  const int lane = threadIdx.x % 32;
  const int64_t blocks = (n + block_size - 1) / block_size;
  auto load = [&](int64_t i) {
    return type == DType::BF16 ? to_float(static_cast<const bf16*>(src)[i]) : static_cast<const float*>(src)[i];
  };
  for (int64_t b = (blockIdx.x * int64_t(blockDim.x) + threadIdx.x) / 32; b < blocks; b += warps) {
    const int64_t begin = b * block_size;
    const int64_t end = min(n, begin + block_size);
    float m = 0.0f;
    for (int64_t i = begin + lane; i < end; i += 32) m = fmaxf(m, fabsf(load(i)));
    m = warp_max(m);
    if (lane == 0) absmax[b] = m;
    const float inv = m > 0.0f ? 1.0f / m : __int_as_float(0x7f800000);
    for (int64_t i = begin + 2 * lane; i < end; i += 64) {
      const uint8_t hi = bnb_code(nf4, load(i) * inv, t);
      const uint8_t lo = i + 1 < end ? bnb_code(nf4, load(i + 1) * inv, t) : 0;
      packed[i / 2] = static_cast<uint8_t>((hi << 4) | lo);
    }
  }
}

}  // namespace

void decode(DType src_type, const void* src, const float* absmax, int block_size, const CodeTable& codes, int64_t n,
            DType dst_type, void* dst, cudaStream_t stream) {
  if (n <= 0) return;
  if (dtype_is_gguf_block(src_type)) return decode_gguf(src_type, src, n, dst_type, dst, stream);
  if (dst_type == DType::F32)
    decode_to<float>(src_type, src, absmax, block_size, codes, n, static_cast<float*>(dst), stream);
  else
    decode_to<bf16>(src_type, src, absmax, block_size, codes, n, static_cast<bf16*>(dst), stream);
}

void abs_max(DType src_type, const void* src, int64_t n, float* amax, cudaStream_t stream) {
  if (n <= 0) return;
  abs_max_kernel<<<grid_for(n, 8 * kThreads), kThreads, 0, stream>>>(src_type, src, n, amax);
  check_launch("abs_max");
}

void encode_fp8_scaled(DType src_type, const void* src, int64_t n, const float* amax, DType dst_type, void* dst,
                       float* scale_out, cudaStream_t stream) {
  encode_fp8_scaled_kernel<<<grid_for(n, 4 * kThreads), kThreads, 0, stream>>>(
      src_type, src, n, amax, dst_type == DType::F8_E4M3, static_cast<uint8_t*>(dst), scale_out);
  check_launch("encode_fp8_scaled");
}

void encode_fp8(DType src_type, const void* src, int64_t n, DType dst_type, void* dst, cudaStream_t stream) {
  if (n <= 0) return;
  encode_fp8_kernel<<<grid_for(n, 4 * kThreads), kThreads, 0, stream>>>(src_type, src, n, dst_type == DType::F8_E4M3,
                                                                         static_cast<uint8_t*>(dst));
  check_launch("encode_fp8");
}

void quantize_bnb4(DType format, DType src_type, const void* src, int64_t n, int block_size,
                   const Bnb4Thresholds& thresholds, uint8_t* packed, float* absmax, cudaStream_t stream) {
  if (n <= 0) return;
  const int64_t blocks = (n + block_size - 1) / block_size;
  quantize_bnb4_kernel<<<grid_for(blocks * 32), kThreads, 0, stream>>>(format == DType::NF4, src_type, src, n,
                                                                         block_size, thresholds, packed, absmax);
  check_launch("quantize_bnb4");
}

}  // namespace fluxgen::cuda::kernels
