// Elementwise kernels over activations (F32 or BF16, computed in fp32): activations and other
// unary maps, broadcasting binary arithmetic, PReLU, and bias additions.
#pragma once
#include <cuda_runtime.h>

#include <cstdint>

#include "backend/cuda/device_math_types.h"
#include "tensor/dtype.h"

namespace fluxgen::cuda::kernels {

enum class UnaryOp { SiLU, GeluTanh, GeluErf, QuickGelu, ReLU, Tanh, Sigmoid, LeakyReLU, Affine, Clamp };

// y[i] = op(x[i]) for n elements of type t (F32 or BF16). p0/p1: LeakyReLU slope; Affine mul, add;
// Clamp lo, hi.
void unary(UnaryOp op, DType t, const void* x, void* y, int64_t n, float p0, float p1, cudaStream_t stream);

enum class BinaryOp { Add, Sub, Mul, Div };
constexpr int kMaxDims = 8;

// An output shape with the element strides of both operands in it (0 along broadcast dimensions).
struct BroadcastShape {
  int ndim = 0;
  int64_t size[kMaxDims] = {};
  int64_t stride_a[kMaxDims] = {};
  int64_t stride_b[kMaxDims] = {};
};

// out[idx] = a[idx·stride_a] op b[idx·stride_b] over the n elements of `shape` (contiguous out).
void binary(BinaryOp op, DType t, const void* a, const void* b, void* out, const BroadcastShape& shape, int64_t n,
            cudaStream_t stream);

// PReLU over x [N, C, spatial...]: one slope per channel, or slope[0] for all when `shared`.
void prelu(DType t, const void* x, ParamRef slope, bool shared, int64_t channels, int64_t spatial, int64_t n, void* y,
           cudaStream_t stream);

// y[r, c] += bias[c] for a row-major [rows, cols] matrix with row stride ld; bias has type t.
void add_bias(DType t, void* y, int64_t rows, int64_t cols, int64_t ld, const void* bias, cudaStream_t stream);

// y[n, c, s] += bias[c] over [batch, channels, spatial] (convolution outputs).
void add_channel_bias(DType t, void* y, int64_t batch, int64_t channels, int64_t spatial, ParamRef bias,
                      cudaStream_t stream);

}  // namespace fluxgen::cuda::kernels
