#include "backend/cuda/cuda_check.h"
#include "backend/cuda/device_math.cuh"
#include "backend/cuda/elementwise_kernels.h"
#include "backend/cuda/launch.h"

namespace fluxgen::cuda::kernels {

namespace {

// The same formulas as the CPU backend (backend/cpu/elementwise.cpp), in fp32 with the accurate
// library functions, so F32 activations agree to rounding.
template <UnaryOp OP>
struct Unary {
  float p0, p1;
  __device__ __forceinline__ float operator()(float v) const {
    if constexpr (OP == UnaryOp::SiLU) return v / (1.0f + expf(-v));
    if constexpr (OP == UnaryOp::GeluTanh) {
      constexpr float k = 0.7978845608028654f;  // sqrt(2/pi)
      return 0.5f * v * (1.0f + tanhf(k * (v + 0.044715f * v * v * v)));
    }
    if constexpr (OP == UnaryOp::GeluErf) return 0.5f * v * (1.0f + erff(v * 0.7071067811865476f));
    if constexpr (OP == UnaryOp::QuickGelu) return v / (1.0f + expf(-1.702f * v));
    if constexpr (OP == UnaryOp::ReLU) return v > 0.0f ? v : 0.0f;
    if constexpr (OP == UnaryOp::Tanh) return tanhf(v);
    if constexpr (OP == UnaryOp::Sigmoid) return 1.0f / (1.0f + expf(-v));
    if constexpr (OP == UnaryOp::LeakyReLU) return v >= 0.0f ? v : v * p0;
    if constexpr (OP == UnaryOp::Affine) return v * p0 + p1;
    if constexpr (OP == UnaryOp::Clamp) return fminf(fmaxf(v, p0), p1);
    return v;
  }
};

// 16 bytes of T: the unit of the vectorized paths.
template <typename T>
struct alignas(16) Pack {
  static constexpr int kCount = 16 / sizeof(T);
  T v[kCount];
};

template <typename T, typename F>
__global__ void map_kernel(const T* x, T* y, int64_t n, int64_t packs, F f) {
  const int64_t stride = int64_t(gridDim.x) * blockDim.x;
  const int64_t first = blockIdx.x * int64_t(blockDim.x) + threadIdx.x;
  for (int64_t p = first; p < packs; p += stride) {
    Pack<T> in = reinterpret_cast<const Pack<T>*>(x)[p], out;
#pragma unroll
    for (int j = 0; j < Pack<T>::kCount; ++j) out.v[j] = from_float<T>(f(to_float(in.v[j])));
    reinterpret_cast<Pack<T>*>(y)[p] = out;
  }
  for (int64_t i = packs * Pack<T>::kCount + first; i < n; i += stride) y[i] = from_float<T>(f(to_float(x[i])));
}

bool aligned16(const void* p) { return reinterpret_cast<uintptr_t>(p) % 16 == 0; }

template <typename T, typename F>
void launch_map(const void* x, void* y, int64_t n, F f, cudaStream_t stream) {
  const int64_t packs = aligned16(x) && aligned16(y) ? n / Pack<T>::kCount : 0;
  map_kernel<T, F><<<grid_for(packs > 0 ? packs : n), kThreads, 0, stream>>>(static_cast<const T*>(x),
                                                                              static_cast<T*>(y), n, packs, f);
  check_launch("unary");
}

template <typename T>
void unary_typed(UnaryOp op, const void* x, void* y, int64_t n, float p0, float p1, cudaStream_t s) {
  switch (op) {
    case UnaryOp::SiLU: return launch_map<T>(x, y, n, Unary<UnaryOp::SiLU>{p0, p1}, s);
    case UnaryOp::GeluTanh: return launch_map<T>(x, y, n, Unary<UnaryOp::GeluTanh>{p0, p1}, s);
    case UnaryOp::GeluErf: return launch_map<T>(x, y, n, Unary<UnaryOp::GeluErf>{p0, p1}, s);
    case UnaryOp::QuickGelu: return launch_map<T>(x, y, n, Unary<UnaryOp::QuickGelu>{p0, p1}, s);
    case UnaryOp::ReLU: return launch_map<T>(x, y, n, Unary<UnaryOp::ReLU>{p0, p1}, s);
    case UnaryOp::Tanh: return launch_map<T>(x, y, n, Unary<UnaryOp::Tanh>{p0, p1}, s);
    case UnaryOp::Sigmoid: return launch_map<T>(x, y, n, Unary<UnaryOp::Sigmoid>{p0, p1}, s);
    case UnaryOp::LeakyReLU: return launch_map<T>(x, y, n, Unary<UnaryOp::LeakyReLU>{p0, p1}, s);
    case UnaryOp::Affine: return launch_map<T>(x, y, n, Unary<UnaryOp::Affine>{p0, p1}, s);
    case UnaryOp::Clamp: return launch_map<T>(x, y, n, Unary<UnaryOp::Clamp>{p0, p1}, s);
  }
}

template <BinaryOp OP>
__device__ __forceinline__ float apply(float a, float b) {
  if constexpr (OP == BinaryOp::Add) return a + b;
  if constexpr (OP == BinaryOp::Sub) return a - b;
  if constexpr (OP == BinaryOp::Mul) return a * b;
  return a / b;
}

template <typename T, BinaryOp OP>
__global__ void binary_same_shape_kernel(const T* a, const T* b, T* out, int64_t n, int64_t packs) {
  const int64_t stride = int64_t(gridDim.x) * blockDim.x;
  const int64_t first = blockIdx.x * int64_t(blockDim.x) + threadIdx.x;
  for (int64_t p = first; p < packs; p += stride) {
    const Pack<T> pa = reinterpret_cast<const Pack<T>*>(a)[p], pb = reinterpret_cast<const Pack<T>*>(b)[p];
    Pack<T> po;
#pragma unroll
    for (int j = 0; j < Pack<T>::kCount; ++j) po.v[j] = from_float<T>(apply<OP>(to_float(pa.v[j]), to_float(pb.v[j])));
    reinterpret_cast<Pack<T>*>(out)[p] = po;
  }
  for (int64_t i = packs * Pack<T>::kCount + first; i < n; i += stride)
    out[i] = from_float<T>(apply<OP>(to_float(a[i]), to_float(b[i])));
}

// Index arithmetic in 32 bits when everything fits: 64-bit division costs several times more.
template <typename T, BinaryOp OP, typename I>
__global__ void binary_broadcast_kernel(const T* a, const T* b, T* out, BroadcastShape s, I n) {
  for (I i = blockIdx.x * I(blockDim.x) + threadIdx.x; i < n; i += I(gridDim.x) * blockDim.x) {
    I rem = i, oa = 0, ob = 0;
    for (int d = s.ndim - 1; d >= 0; --d) {
      const I size = static_cast<I>(s.size[d]);
      const I idx = rem % size;
      rem /= size;
      oa += idx * static_cast<I>(s.stride_a[d]);
      ob += idx * static_cast<I>(s.stride_b[d]);
    }
    out[i] = from_float<T>(apply<OP>(to_float(a[oa]), to_float(b[ob])));
  }
}

bool same_shape(const BroadcastShape& s) {
  int64_t expect = 1;
  for (int d = s.ndim - 1; d >= 0; --d) {
    if (s.size[d] != 1 && (s.stride_a[d] != expect || s.stride_b[d] != expect)) return false;
    expect *= s.size[d];
  }
  return true;
}

template <typename T, BinaryOp OP>
void binary_launch(const void* a, const void* b, void* out, const BroadcastShape& s, int64_t n, cudaStream_t stream) {
  const T* pa = static_cast<const T*>(a);
  const T* pb = static_cast<const T*>(b);
  T* po = static_cast<T*>(out);
  if (same_shape(s)) {
    const int64_t packs = aligned16(a) && aligned16(b) && aligned16(out) ? n / Pack<T>::kCount : 0;
    binary_same_shape_kernel<T, OP><<<grid_for(packs > 0 ? packs : n), kThreads, 0, stream>>>(pa, pb, po, n, packs);
  } else if (n < (int64_t(1) << 31)) {
    binary_broadcast_kernel<T, OP, int32_t><<<grid_for(n), kThreads, 0, stream>>>(pa, pb, po, s, static_cast<int32_t>(n));
  } else {
    binary_broadcast_kernel<T, OP, int64_t><<<grid_for(n), kThreads, 0, stream>>>(pa, pb, po, s, n);
  }
  check_launch("binary");
}

template <typename T>
void binary_typed(BinaryOp op, const void* a, const void* b, void* out, const BroadcastShape& s, int64_t n,
                  cudaStream_t stream) {
  switch (op) {
    case BinaryOp::Add: return binary_launch<T, BinaryOp::Add>(a, b, out, s, n, stream);
    case BinaryOp::Sub: return binary_launch<T, BinaryOp::Sub>(a, b, out, s, n, stream);
    case BinaryOp::Mul: return binary_launch<T, BinaryOp::Mul>(a, b, out, s, n, stream);
    case BinaryOp::Div: return binary_launch<T, BinaryOp::Div>(a, b, out, s, n, stream);
  }
}

template <typename T>
__global__ void prelu_kernel(const T* x, ParamRef slope, bool shared, int64_t channels, int64_t spatial, int64_t n,
                             T* y) {
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < n; i += int64_t(gridDim.x) * blockDim.x) {
    const float v = to_float(x[i]);
    const float a = load_param(slope, shared ? 0 : (i / spatial) % channels);
    y[i] = from_float<T>(v >= 0.0f ? v : v * a);
  }
}

template <typename T>
__global__ void add_bias_kernel(T* y, int64_t rows, int64_t cols, int64_t ld, const T* bias) {
  const int64_t n = rows * cols;
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < n; i += int64_t(gridDim.x) * blockDim.x) {
    const int64_t r = i / cols, c = i % cols;
    T& v = y[r * ld + c];
    v = from_float<T>(to_float(v) + to_float(bias[c]));
  }
}

template <typename T>
__global__ void add_channel_bias_kernel(T* y, int64_t channels, int64_t spatial, int64_t n, ParamRef bias) {
  for (int64_t i = blockIdx.x * int64_t(blockDim.x) + threadIdx.x; i < n; i += int64_t(gridDim.x) * blockDim.x)
    y[i] = from_float<T>(to_float(y[i]) + load_param(bias, (i / spatial) % channels));
}

}  // namespace

void unary(UnaryOp op, DType t, const void* x, void* y, int64_t n, float p0, float p1, cudaStream_t stream) {
  if (n <= 0) return;
  if (t == DType::F32)
    unary_typed<float>(op, x, y, n, p0, p1, stream);
  else
    unary_typed<bf16>(op, x, y, n, p0, p1, stream);
}

void binary(BinaryOp op, DType t, const void* a, const void* b, void* out, const BroadcastShape& shape, int64_t n,
            cudaStream_t stream) {
  if (n <= 0) return;
  if (t == DType::F32)
    binary_typed<float>(op, a, b, out, shape, n, stream);
  else
    binary_typed<bf16>(op, a, b, out, shape, n, stream);
}

void prelu(DType t, const void* x, ParamRef slope, bool shared, int64_t channels, int64_t spatial, int64_t n, void* y,
           cudaStream_t stream) {
  if (n <= 0) return;
  if (t == DType::F32)
    prelu_kernel<float><<<grid_for(n), kThreads, 0, stream>>>(static_cast<const float*>(x), slope, shared, channels,
                                                               spatial, n, static_cast<float*>(y));
  else
    prelu_kernel<bf16><<<grid_for(n), kThreads, 0, stream>>>(static_cast<const bf16*>(x), slope, shared, channels,
                                                              spatial, n, static_cast<bf16*>(y));
  check_launch("prelu");
}

void add_bias(DType t, void* y, int64_t rows, int64_t cols, int64_t ld, const void* bias, cudaStream_t stream) {
  if (rows * cols <= 0) return;
  if (t == DType::F32)
    add_bias_kernel<float><<<grid_for(rows * cols), kThreads, 0, stream>>>(static_cast<float*>(y), rows, cols, ld,
                                                                            static_cast<const float*>(bias));
  else
    add_bias_kernel<bf16><<<grid_for(rows * cols), kThreads, 0, stream>>>(static_cast<bf16*>(y), rows, cols, ld,
                                                                           static_cast<const bf16*>(bias));
  check_launch("add_bias");
}

void add_channel_bias(DType t, void* y, int64_t batch, int64_t channels, int64_t spatial, ParamRef bias,
                      cudaStream_t stream) {
  const int64_t n = batch * channels * spatial;
  if (n <= 0) return;
  if (t == DType::F32)
    add_channel_bias_kernel<float><<<grid_for(n), kThreads, 0, stream>>>(static_cast<float*>(y), channels, spatial, n,
                                                                          bias);
  else
    add_channel_bias_kernel<bf16><<<grid_for(n), kThreads, 0, stream>>>(static_cast<bf16*>(y), channels, spatial, n,
                                                                         bias);
  check_launch("add_channel_bias");
}

}  // namespace fluxgen::cuda::kernels
