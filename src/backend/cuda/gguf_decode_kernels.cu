#include "backend/cuda/gguf_decode_kernels.h"

#include "backend/cuda/cuda_check.h"
#include "backend/cuda/decode8.cuh"
#include "backend/cuda/gguf_blocks.cuh"
#include "backend/cuda/launch.h"
#include "util/error.h"

namespace fluxgen::cuda::kernels {

namespace {

// One thread per eight consecutive outputs (never straddling a block: blocks hold 32 or 256):
// neighbouring threads read neighbouring bytes of a block and store neighbouring 16/32-byte
// vectors, and the block's scales are decoded once per eight values.
template <DType T, typename Out>
__global__ void decode_gguf_kernel(const uint8_t* blocks, int64_t n, bool vector_store, Out* dst) {
  const int64_t groups = (n + 7) / 8;
  for (int64_t g = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; g < groups; g += int64_t(gridDim.x) * blockDim.x) {
    const int64_t e = g * 8;
    float v[8];
    gguf_device::group<T>(blocks, g, v);
    if (vector_store && e + 8 <= n) {
      store8<Out>(dst, g, v);
    } else {
#pragma unroll
      for (int j = 0; j < 8; ++j)
        if (e + j < n) dst[e + j] = from_float<Out>(v[j]);
    }
  }
}

template <DType T, typename Out>
void launch(const void* blocks, int64_t n, Out* dst, cudaStream_t stream) {
  const bool vector_store = reinterpret_cast<uintptr_t>(dst) % 16 == 0;
  decode_gguf_kernel<T, Out><<<grid_for((n + 7) / 8), kThreads, 0, stream>>>(static_cast<const uint8_t*>(blocks), n,
                                                                             vector_store, dst);
  check_launch("decode_gguf");
}

template <typename Out>
void decode_to(DType type, const void* blocks, int64_t n, Out* dst, cudaStream_t stream) {
  switch (type) {
    case DType::Q8_0: return launch<DType::Q8_0>(blocks, n, dst, stream);
    case DType::Q4_0: return launch<DType::Q4_0>(blocks, n, dst, stream);
    case DType::Q4_1: return launch<DType::Q4_1>(blocks, n, dst, stream);
    case DType::Q5_0: return launch<DType::Q5_0>(blocks, n, dst, stream);
    case DType::Q5_1: return launch<DType::Q5_1>(blocks, n, dst, stream);
    case DType::Q2_K: return launch<DType::Q2_K>(blocks, n, dst, stream);
    case DType::Q3_K: return launch<DType::Q3_K>(blocks, n, dst, stream);
    case DType::Q4_K: return launch<DType::Q4_K>(blocks, n, dst, stream);
    case DType::Q5_K: return launch<DType::Q5_K>(blocks, n, dst, stream);
    case DType::Q6_K: return launch<DType::Q6_K>(blocks, n, dst, stream);
    default: fail("internal: decode_gguf: ", dtype_name(type), " has no CUDA GGUF decoder");
  }
}

}  // namespace

void decode_gguf(DType type, const void* blocks, int64_t n, DType dst_type, void* dst, cudaStream_t stream) {
  check(dst_type == DType::F32 || dst_type == DType::BF16, "internal: decode_gguf decodes to F32 or BF16, not ",
        dtype_name(dst_type));
  if (n <= 0) return;
  if (dst_type == DType::F32)
    decode_to<float>(type, blocks, n, static_cast<float*>(dst), stream);
  else
    decode_to<bf16>(type, blocks, n, static_cast<bf16*>(dst), stream);
}

}  // namespace fluxgen::cuda::kernels
