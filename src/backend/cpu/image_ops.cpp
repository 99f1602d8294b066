// CpuBackend: convolution (im2col in bands of output rows + GEMM), padding, resampling, pooling.
#include <algorithm>
#include <cmath>
#include <vector>

#include "backend/cpu/cpu_backend.h"
#include "backend/cpu/gemm.h"
#include "backend/conv2d_geometry.h"
#include "tensor/convert.h"
#include "util/error.h"

namespace fluxgen {

Tensor CpuBackend::conv2d(const Tensor& x_in, const Tensor& weight, const Tensor* bias, int stride, int padding,
                          int groups) {
  const Tensor x = cpu::as_f32(x_in, "conv2d");
  const Conv2dGeometry geo = conv2d_geometry(x, weight, bias, stride, padding, groups);
  const int64_t N = geo.N, C = geo.C, H = geo.H, W = geo.W, O = geo.O, Cg = geo.Cg, kh = geo.kh, kw = geo.kw;
  const int64_t Ho = geo.Ho, Wo = geo.Wo, Og = geo.Og, CKK = geo.CKK, HWo = Ho * Wo;
  const Tensor w = to_f32(weight);  // conv kernels are small next to their activations
  Tensor out = Tensor::empty({N, O, Ho, Wo});
  const bool pointwise = kh == 1 && kw == 1 && stride == 1 && padding == 0;
  // Bands of output rows keep the im2col buffer near 16M floats whatever the image size. The buffer
  // is the thread's own and outlives the call: a fresh one is past glibc's mmap threshold, so every
  // convolution would map, page-fault in and unmap up to 64 MB (half of an upscale's time was that).
  const int64_t band = std::clamp<int64_t>((int64_t(16) << 20) / std::max<int64_t>(CKK * Wo, 1), 1, Ho);
  thread_local std::vector<float> col_buffer;
  if (!pointwise && col_buffer.size() < static_cast<size_t>(CKK * band * Wo))
    col_buffer.resize(static_cast<size_t>(CKK * band * Wo));
  float* const col = col_buffer.data();  // the calling thread's buffer, shared with the OpenMP workers below
  for (int64_t n = 0; n < N; ++n) {
    for (int64_t g = 0; g < groups; ++g) {
      const float* wg = w.f32() + g * Og * CKK;
      const float* xg = x.f32() + (n * C + g * Cg) * H * W;
      float* og = out.f32() + (n * O + g * Og) * HWo;
      if (pointwise) {
        cpu::gemm_nn(Og, HWo, Cg, wg, Cg, xg, H * W, og, HWo, false);
        continue;
      }
      for (int64_t oy0 = 0; oy0 < Ho; oy0 += band) {
        const int64_t nb = std::min(band, Ho - oy0), cols = nb * Wo;
#pragma omp parallel for schedule(static) if (CKK * cols > 65536)
        for (int64_t r = 0; r < CKK; ++r) {
          const int64_t c = r / (kh * kw), ky = (r / kw) % kh, kx = r % kw;
          const float* plane = xg + c * H * W;
          float* dst = col + r * cols;
          for (int64_t oy = 0; oy < nb; ++oy) {
            const int64_t iy = (oy0 + oy) * stride - padding + ky;
            float* d = dst + oy * Wo;
            if (iy < 0 || iy >= H) {
              std::fill(d, d + Wo, 0.0f);
              continue;
            }
            const float* srow = plane + iy * W;
            for (int64_t ox = 0; ox < Wo; ++ox) {
              const int64_t ix = ox * stride - padding + kx;
              d[ox] = (ix >= 0 && ix < W) ? srow[ix] : 0.0f;
            }
          }
        }
        cpu::gemm_nn(Og, cols, CKK, wg, CKK, col, cols, og + oy0 * Wo, HWo, false);
      }
    }
  }
  if (bias) {
    const Tensor b = cpu::as_f32(*bias, "conv2d bias");
    float* op = out.f32();
#pragma omp parallel for collapse(2) schedule(static) if (out.numel() > 65536)
    for (int64_t n = 0; n < N; ++n)
      for (int64_t o = 0; o < O; ++o) {
        const float bv = b.f32()[o];
        float* p = op + (n * O + o) * HWo;
        for (int64_t i = 0; i < HWo; ++i) p[i] += bv;
      }
  }
  return out;
}

Tensor CpuBackend::pad2d(const Tensor& x_in, int left, int right, int top, int bottom, float value) {
  const Tensor x = cpu::as_f32(x_in, "pad2d");
  check_nchw(x, "pad2d");
  check(left >= 0 && right >= 0 && top >= 0 && bottom >= 0, "pad2d: negative padding");
  const int64_t N = x.dim(0), C = x.dim(1), H = x.dim(2), W = x.dim(3);
  const int64_t Ho = H + top + bottom, Wo = W + left + right;
  Tensor out = Tensor::full({N, C, Ho, Wo}, value);
  for (int64_t p = 0; p < N * C; ++p)
    for (int64_t y = 0; y < H; ++y)
      std::copy(x.f32() + (p * H + y) * W, x.f32() + (p * H + y + 1) * W, out.f32() + (p * Ho + y + top) * Wo + left);
  return out;
}

Tensor CpuBackend::upsample_nearest(const Tensor& x_in, int factor) {
  const Tensor x = cpu::as_f32(x_in, "upsample_nearest");
  check_nchw(x, "upsample_nearest");
  check(factor >= 1, "upsample_nearest: factor must be positive");
  const int64_t N = x.dim(0), C = x.dim(1), H = x.dim(2), W = x.dim(3);
  Tensor out = Tensor::empty({N, C, H * factor, W * factor});
  const float* xp = x.f32();
  float* op = out.f32();
  const int64_t Wo = W * factor;
#pragma omp parallel for schedule(static) if (out.numel() > 65536)
  for (int64_t p = 0; p < N * C * H; ++p) {
    const float* src = xp + p * W;
    float* dst = op + p * factor * Wo;
    for (int64_t xw = 0; xw < W; ++xw)
      for (int f = 0; f < factor; ++f) dst[xw * factor + f] = src[xw];
    for (int f = 1; f < factor; ++f) std::copy(dst, dst + Wo, dst + f * Wo);
  }
  return out;
}

Tensor CpuBackend::pixel_shuffle(const Tensor& x_in, int r) {
  const Tensor x = cpu::as_f32(x_in, "pixel_shuffle");
  check_nchw(x, "pixel_shuffle");
  const int64_t N = x.dim(0), Cin = x.dim(1), H = x.dim(2), W = x.dim(3);
  check(r >= 1 && Cin % (r * r) == 0, "pixel_shuffle: ", Cin, " channels do not divide by ", r * r);
  const int64_t C = Cin / (r * r);
  Tensor out = Tensor::empty({N, C, H * r, W * r});
  const float* xp = x.f32();
  float* op = out.f32();
  for (int64_t n = 0; n < N; ++n)
    for (int64_t c = 0; c < C; ++c)
      for (int64_t i = 0; i < r; ++i)
        for (int64_t j = 0; j < r; ++j) {
          const float* src = xp + ((n * Cin + c * r * r + i * r + j) * H) * W;
          for (int64_t y = 0; y < H; ++y)
            for (int64_t xw = 0; xw < W; ++xw)
              op[((n * C + c) * H * r + y * r + i) * W * r + xw * r + j] = src[y * W + xw];
        }
  return out;
}

Tensor CpuBackend::pixel_unshuffle(const Tensor& x_in, int r) {
  const Tensor x = cpu::as_f32(x_in, "pixel_unshuffle");
  check_nchw(x, "pixel_unshuffle");
  const int64_t N = x.dim(0), C = x.dim(1), H = x.dim(2), W = x.dim(3);
  check(r >= 1 && H % r == 0 && W % r == 0, "pixel_unshuffle: ", H, "x", W, " does not divide by ", r);
  const int64_t Ho = H / r, Wo = W / r, Cout = C * r * r;
  Tensor out = Tensor::empty({N, Cout, Ho, Wo});
  const float* xp = x.f32();
  float* op = out.f32();
  for (int64_t n = 0; n < N; ++n)
    for (int64_t c = 0; c < C; ++c)
      for (int64_t i = 0; i < r; ++i)
        for (int64_t j = 0; j < r; ++j) {
          float* dst = op + ((n * Cout + c * r * r + i * r + j) * Ho) * Wo;
          for (int64_t y = 0; y < Ho; ++y)
            for (int64_t xw = 0; xw < Wo; ++xw) dst[y * Wo + xw] = xp[((n * C + c) * H + y * r + i) * W + xw * r + j];
        }
  return out;
}

Tensor CpuBackend::max_pool2d(const Tensor& x_in, int kernel, int stride, int padding) {
  const Tensor x = cpu::as_f32(x_in, "max_pool2d");
  check_nchw(x, "max_pool2d");
  check(kernel >= 1 && stride >= 1 && padding >= 0, "max_pool2d: bad kernel/stride/padding");
  const int64_t N = x.dim(0), C = x.dim(1), H = x.dim(2), W = x.dim(3);
  check(H + 2 * padding >= kernel && W + 2 * padding >= kernel, "max_pool2d: input ", x.describe(), " with padding ",
        padding, " is smaller than the kernel ", kernel);
  const int64_t Ho = (H + 2 * padding - kernel) / stride + 1, Wo = (W + 2 * padding - kernel) / stride + 1;
  Tensor out = Tensor::empty({N, C, Ho, Wo});
  const float* xp = x.f32();
  float* op = out.f32();
#pragma omp parallel for schedule(static) if (out.numel() > 16384)
  for (int64_t p = 0; p < N * C; ++p)
    for (int64_t oy = 0; oy < Ho; ++oy)
      for (int64_t ox = 0; ox < Wo; ++ox) {
        float m = -INFINITY;
        for (int ky = 0; ky < kernel; ++ky) {
          const int64_t iy = oy * stride - padding + ky;
          if (iy < 0 || iy >= H) continue;
          for (int kx = 0; kx < kernel; ++kx) {
            const int64_t ix = ox * stride - padding + kx;
            if (ix >= 0 && ix < W) m = std::max(m, xp[(p * H + iy) * W + ix]);
          }
        }
        op[(p * Ho + oy) * Wo + ox] = m;
      }
  return out;
}

}  // namespace fluxgen
