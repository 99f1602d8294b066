// CudaBackend: convolution (im2col in bands of output rows + cuBLASLt GEMM; 1×1 convolutions
// straight into the GEMM), padding, resampling, pixel (un)shuffle, pooling.
#include <algorithm>

#include "backend/conv2d_geometry.h"
#include "backend/cuda/cublaslt_gemm.h"
#include "backend/cuda/cuda_backend.h"
#include "backend/cuda/cuda_context.h"
#include "backend/cuda/device_tensors.h"
#include "backend/cuda/elementwise_kernels.h"
#include "backend/cuda/layout_kernels.h"
#include "util/error.h"

namespace fluxgen::cuda {

namespace {
// Elements of the im2col buffer per band (64 MiB in bf16): big GEMMs, bounded memory.
constexpr int64_t kIm2colElements = int64_t(32) << 20;
}  // namespace

Tensor CudaBackend::conv2d(const Tensor& x_in, const Tensor& weight, const Tensor* bias, int stride, int padding,
                           int groups) {
  const Conv2dGeometry geo = conv2d_geometry(x_in, weight, bias, stride, padding, groups);
  const int64_t N = geo.N, C = geo.C, H = geo.H, W = geo.W, O = geo.O, Cg = geo.Cg, kh = geo.kh, kw = geo.kw;
  const int64_t Ho = geo.Ho, Wo = geo.Wo, Og = geo.Og, CKK = geo.CKK, HWo = Ho * Wo;
  const DType act = options_.activations;
  const Tensor x = input(x_in, "conv2d");
  Tensor out = device_empty({N, O, Ho, Wo}, act);
  if (out.numel() == 0) return out;
  const Tensor w = decoded_weight(weight);
  const int64_t es = dtype_bits(act) / 8;
  const char* xp = static_cast<const char*>(x.raw_data());
  const char* wp = static_cast<const char*>(w.raw_data());
  char* op = static_cast<char*>(out.raw_data());
  cudaStream_t stream = Context::get().stream();

  // Row-major out_g[Og, cols] = W_g[Og, CKK]·col[CKK, cols]; column-major that is
  // out_gᵀ[cols, Og] = colᵀ·W_gᵀ with neither operand transposed.
  auto product = [&](const void* col, int64_t cols, int64_t ld_col, const char* w_g, char* out_g) {
    Gemm g;
    g.m = cols;
    g.n = Og;
    g.k = CKK;
    g.a = {col, act, ld_col, false};
    g.b = {w_g, act, CKK, false};
    g.d = out_g;
    g.d_dtype = act;
    g.ldd = HWo;
    gemm(g);
  };
  const bool pointwise = kh == 1 && kw == 1 && stride == 1 && padding == 0;
  const int64_t band = std::clamp<int64_t>(kIm2colElements / std::max<int64_t>(CKK * Wo, 1), 1, Ho);
  Tensor col = pointwise ? Tensor() : device_empty({CKK * band * Wo}, act);
  for (int64_t n = 0; n < N; ++n) {
    for (int64_t gi = 0; gi < groups; ++gi) {
      const char* x_g = xp + ((n * C + gi * Cg) * H * W) * es;
      const char* w_g = wp + (gi * Og * CKK) * es;
      char* out_g = op + ((n * O + gi * Og) * HWo) * es;
      if (pointwise) {
        product(x_g, HWo, H * W, w_g, out_g);
        continue;
      }
      for (int64_t oy0 = 0; oy0 < Ho; oy0 += band) {
        const int64_t rows = std::min(band, Ho - oy0);
        kernels::im2col(act, x_g, col.raw_data(), {Cg, H, W, kh, kw, stride, padding, Wo, oy0, rows}, stream);
        product(col.raw_data(), rows * Wo, rows * Wo, w_g, out_g + oy0 * Wo * es);
      }
    }
  }
  if (bias) {
    const DeviceParam b = device_param(bias, O, "conv2d bias");
    kernels::add_channel_bias(act, out.raw_data(), N, O, HWo, b.ref, stream);
  }
  return out;
}

Tensor CudaBackend::pad2d(const Tensor& x_in, int left, int right, int top, int bottom, float value) {
  check_nchw(x_in, "pad2d");
  check(left >= 0 && right >= 0 && top >= 0 && bottom >= 0, "pad2d: negative padding");
  const Tensor x = input(x_in, "pad2d");
  const int64_t N = x.dim(0), C = x.dim(1), H = x.dim(2), W = x.dim(3);
  Tensor out = device_empty({N, C, H + top + bottom, W + left + right}, options_.activations);
  kernels::pad2d(options_.activations, x.raw_data(), out.raw_data(), N * C, H, W, left, right, top, bottom, value,
                 Context::get().stream());
  return out;
}

Tensor CudaBackend::upsample_nearest(const Tensor& x_in, int factor) {
  check_nchw(x_in, "upsample_nearest");
  check(factor >= 1, "upsample_nearest: factor must be positive");
  const Tensor x = input(x_in, "upsample_nearest");
  const int64_t N = x.dim(0), C = x.dim(1), H = x.dim(2), W = x.dim(3);
  Tensor out = device_empty({N, C, H * factor, W * factor}, options_.activations);
  kernels::upsample_nearest(options_.activations, x.raw_data(), out.raw_data(), N * C, H, W, factor,
                            Context::get().stream());
  return out;
}

Tensor CudaBackend::pixel_shuffle(const Tensor& x_in, int r) {
  check_nchw(x_in, "pixel_shuffle");
  const int64_t N = x_in.dim(0), Cin = x_in.dim(1), H = x_in.dim(2), W = x_in.dim(3);
  check(r >= 1 && Cin % (r * r) == 0, "pixel_shuffle: ", Cin, " channels do not divide by ", r * r);
  const Tensor x = input(x_in, "pixel_shuffle");
  const int64_t C = Cin / (r * r);
  Tensor out = device_empty({N, C, H * r, W * r}, options_.activations);
  kernels::pixel_shuffle(options_.activations, x.raw_data(), out.raw_data(), N, C, H, W, r, Context::get().stream());
  return out;
}

Tensor CudaBackend::pixel_unshuffle(const Tensor& x_in, int r) {
  check_nchw(x_in, "pixel_unshuffle");
  const int64_t N = x_in.dim(0), C = x_in.dim(1), H = x_in.dim(2), W = x_in.dim(3);
  check(r >= 1 && H % r == 0 && W % r == 0, "pixel_unshuffle: ", H, "x", W, " does not divide by ", r);
  const Tensor x = input(x_in, "pixel_unshuffle");
  Tensor out = device_empty({N, C * r * r, H / r, W / r}, options_.activations);
  kernels::pixel_unshuffle(options_.activations, x.raw_data(), out.raw_data(), N, C, H, W, r, Context::get().stream());
  return out;
}

Tensor CudaBackend::max_pool2d(const Tensor& x_in, int kernel, int stride, int padding) {
  check_nchw(x_in, "max_pool2d");
  check(kernel >= 1 && stride >= 1 && padding >= 0, "max_pool2d: bad kernel/stride/padding");
  const int64_t N = x_in.dim(0), C = x_in.dim(1), H = x_in.dim(2), W = x_in.dim(3);
  check(H + 2 * padding >= kernel && W + 2 * padding >= kernel, "max_pool2d: input ", x_in.describe(),
        " with padding ", padding, " is smaller than the kernel ", kernel);
  const int64_t Ho = (H + 2 * padding - kernel) / stride + 1, Wo = (W + 2 * padding - kernel) / stride + 1;
  const Tensor x = input(x_in, "max_pool2d");
  Tensor out = device_empty({N, C, Ho, Wo}, options_.activations);
  kernels::max_pool2d(options_.activations, x.raw_data(), out.raw_data(), N * C, H, W, kernel, stride, padding, Ho, Wo,
                      Context::get().stream());
  return out;
}

}  // namespace fluxgen::cuda
