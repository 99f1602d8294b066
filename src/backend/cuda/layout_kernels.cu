#include "backend/cuda/cuda_check.h"
#include "backend/cuda/device_math.cuh"
#include "backend/cuda/launch.h"
#include "backend/cuda/layout_kernels.h"

namespace fluxgen::cuda::kernels {

namespace {

#define FLUXGEN_GRID_STRIDE(i, n) \
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < (n); i += int64_t(gridDim.x) * blockDim.x)

template <typename E, typename I>
__global__ void gather_kernel(const E* src, E* dst, GatherShape s, I n) {
  for (I i = blockIdx.x * I(blockDim.x) + threadIdx.x; i < n; i += I(gridDim.x) * blockDim.x) {
    I rem = i, off = 0;
    for (int d = s.ndim - 1; d >= 0; --d) {
      const I size = static_cast<I>(s.size[d]);
      off += (rem % size) * static_cast<I>(s.src_stride[d]);
      rem /= size;
    }
    dst[i] = src[off];
  }
}

template <typename E>
void gather_typed(const void* src, void* dst, const GatherShape& s, int64_t n, cudaStream_t stream) {
  if (n < (int64_t(1) << 31))
    gather_kernel<E, int32_t><<<grid_for(n), kThreads, 0, stream>>>(static_cast<const E*>(src), static_cast<E*>(dst), s,
                                                                     static_cast<int32_t>(n));
  else
    gather_kernel<E, int64_t><<<grid_for(n), kThreads, 0, stream>>>(static_cast<const E*>(src), static_cast<E*>(dst), s, n);
  check_launch("gather");
}

template <typename Out>
__global__ void embedding_kernel(DType type, const void* table, const float* absmax, int block, CodeTable t,
                                 const int64_t* ids, int64_t count, int64_t D, Out* out) {
  __shared__ float codes[16];
  if (threadIdx.x < 16) codes[threadIdx.x] = t.value[threadIdx.x];
  __syncthreads();
  FLUXGEN_GRID_STRIDE(i, count * D) {
    const int64_t row = i / D, d = i % D;
    out[i] = from_float<Out>(decode_element(type, table, ids[row] * D + d, absmax, block, codes));
  }
}

template <typename T>
__global__ void pad2d_kernel(const T* x, T* y, int64_t planes, int64_t H, int64_t W, int left, int top, int64_t Ho,
                             int64_t Wo, float value) {
  FLUXGEN_GRID_STRIDE(i, planes * Ho * Wo) {
    const int64_t ox = i % Wo, oy = (i / Wo) % Ho, p = i / (Wo * Ho);
    const int64_t iy = oy - top, ix = ox - left;
    y[i] = (iy >= 0 && iy < H && ix >= 0 && ix < W) ? x[(p * H + iy) * W + ix] : from_float<T>(value);
  }
}

template <typename T>
__global__ void upsample_kernel(const T* x, T* y, int64_t planes, int64_t H, int64_t W, int f) {
  const int64_t Ho = H * f, Wo = W * f;
  FLUXGEN_GRID_STRIDE(i, planes * Ho * Wo) {
    const int64_t ox = i % Wo, oy = (i / Wo) % Ho, p = i / (Wo * Ho);
    y[i] = x[(p * H + oy / f) * W + ox / f];
  }
}

template <typename T>
__global__ void pixel_shuffle_kernel(const T* x, T* y, int64_t N, int64_t C, int64_t H, int64_t W, int r) {
  const int64_t Ho = H * r, Wo = W * r;
  FLUXGEN_GRID_STRIDE(o, N * C * Ho * Wo) {
    const int64_t X = o % Wo, Y = (o / Wo) % Ho, c = (o / (Wo * Ho)) % C, n = o / (Wo * Ho * C);
    const int64_t i = Y % r, j = X % r;
    y[o] = x[((n * C * r * r + c * r * r + i * r + j) * H + Y / r) * W + X / r];
  }
}

template <typename T>
__global__ void pixel_unshuffle_kernel(const T* x, T* y, int64_t N, int64_t C, int64_t H, int64_t W, int r) {
  const int64_t Ho = H / r, Wo = W / r, Co = C * r * r;
  FLUXGEN_GRID_STRIDE(o, N * Co * Ho * Wo) {
    const int64_t xo = o % Wo, yo = (o / Wo) % Ho, co = (o / (Wo * Ho)) % Co, n = o / (Wo * Ho * Co);
    const int64_t c = co / (r * r), i = (co / r) % r, j = co % r;
    y[o] = x[((n * C + c) * H + yo * r + i) * W + xo * r + j];
  }
}

template <typename T>
__global__ void max_pool_kernel(const T* x, T* y, int64_t planes, int64_t H, int64_t W, int k, int s, int pad,
                                int64_t Ho, int64_t Wo) {
  FLUXGEN_GRID_STRIDE(o, planes * Ho * Wo) {
    const int64_t ox = o % Wo, oy = (o / Wo) % Ho, p = o / (Wo * Ho);
    float m = -INFINITY;
    for (int ky = 0; ky < k; ++ky) {
      const int64_t iy = oy * s - pad + ky;
      if (iy < 0 || iy >= H) continue;
      for (int kx = 0; kx < k; ++kx) {
        const int64_t ix = ox * s - pad + kx;
        if (ix >= 0 && ix < W) m = fmaxf(m, to_float(x[(p * H + iy) * W + ix]));
      }
    }
    y[o] = from_float<T>(m);
  }
}

template <typename T>
__global__ void im2col_kernel(const T* x, T* col, Im2col p) {
  const int64_t cols = p.rows * p.Wo;
  FLUXGEN_GRID_STRIDE(i, p.C * p.kh * p.kw * cols) {
    const int64_t r = i / cols, pos = i % cols;
    const int64_t c = r / (p.kh * p.kw), ky = (r / p.kw) % p.kh, kx = r % p.kw;
    const int64_t iy = (p.oy0 + pos / p.Wo) * p.stride - p.padding + ky;
    const int64_t ix = (pos % p.Wo) * p.stride - p.padding + kx;
    col[i] = (iy >= 0 && iy < p.H && ix >= 0 && ix < p.W) ? x[(c * p.H + iy) * p.W + ix] : from_float<T>(0.0f);
  }
}

}  // namespace

void gather(int elem_bytes, const void* src, void* dst, const GatherShape& shape, int64_t n, cudaStream_t stream) {
  if (n <= 0) return;
  switch (elem_bytes) {
    case 1: return gather_typed<uint8_t>(src, dst, shape, n, stream);
    case 2: return gather_typed<uint16_t>(src, dst, shape, n, stream);
    case 4: return gather_typed<uint32_t>(src, dst, shape, n, stream);
    case 8: return gather_typed<uint2>(src, dst, shape, n, stream);
    default: return gather_typed<uint4>(src, dst, shape, n, stream);
  }
}

void embedding(DType table_type, const void* table, const float* absmax, int block_size, const CodeTable& codes,
               const int64_t* ids, int64_t count, int64_t D, DType out_type, void* out, cudaStream_t stream) {
  if (count * D <= 0) return;
  if (out_type == DType::F32)
    embedding_kernel<float><<<grid_for(count * D), kThreads, 0, stream>>>(table_type, table, absmax, block_size, codes,
                                                                          ids, count, D, static_cast<float*>(out));
  else
    embedding_kernel<bf16><<<grid_for(count * D), kThreads, 0, stream>>>(table_type, table, absmax, block_size, codes,
                                                                         ids, count, D, static_cast<bf16*>(out));
  check_launch("embedding");
}

// One typed launch of `kernel` over activations of type t.
#define FLUXGEN_TYPED_LAUNCH(t, n, kernel, ...)                                                     \
  do {                                                                                              \
    if ((n) <= 0) break;                                                                            \
    if ((t) == DType::F32)                                                                          \
      kernel<float><<<grid_for(n), kThreads, 0, stream>>>(static_cast<const float*>(x), static_cast<float*>(y), __VA_ARGS__); \
    else                                                                                            \
      kernel<bf16><<<grid_for(n), kThreads, 0, stream>>>(static_cast<const bf16*>(x), static_cast<bf16*>(y), __VA_ARGS__); \
    check_launch(#kernel);                                                                          \
  } while (0)

void pad2d(DType t, const void* x, void* y, int64_t planes, int64_t H, int64_t W, int left, int right, int top,
           int bottom, float value, cudaStream_t stream) {
  const int64_t Ho = H + top + bottom, Wo = W + left + right;
  FLUXGEN_TYPED_LAUNCH(t, planes * Ho * Wo, pad2d_kernel, planes, H, W, left, top, Ho, Wo, value);
}

void upsample_nearest(DType t, const void* x, void* y, int64_t planes, int64_t H, int64_t W, int factor,
                      cudaStream_t stream) {
  FLUXGEN_TYPED_LAUNCH(t, planes * H * W * factor * factor, upsample_kernel, planes, H, W, factor);
}

void pixel_shuffle(DType t, const void* x, void* y, int64_t N, int64_t C, int64_t H, int64_t W, int r,
                   cudaStream_t stream) {
  FLUXGEN_TYPED_LAUNCH(t, N * C * H * W * r * r, pixel_shuffle_kernel, N, C, H, W, r);
}

void pixel_unshuffle(DType t, const void* x, void* y, int64_t N, int64_t C, int64_t H, int64_t W, int r,
                     cudaStream_t stream) {
  FLUXGEN_TYPED_LAUNCH(t, N * C * H * W, pixel_unshuffle_kernel, N, C, H, W, r);
}

void max_pool2d(DType t, const void* x, void* y, int64_t planes, int64_t H, int64_t W, int kernel, int stride,
                int padding, int64_t Ho, int64_t Wo, cudaStream_t stream) {
  FLUXGEN_TYPED_LAUNCH(t, planes * Ho * Wo, max_pool_kernel, planes, H, W, kernel, stride, padding, Ho, Wo);
}

void im2col(DType t, const void* x, void* y, const Im2col& p, cudaStream_t stream) {
  FLUXGEN_TYPED_LAUNCH(t, p.C * p.kh * p.kw * p.rows * p.Wo, im2col_kernel, p);
}

}  // namespace fluxgen::cuda::kernels
