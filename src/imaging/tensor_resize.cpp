#include "imaging/tensor_resize.h"

#include <algorithm>
#include <cmath>

#include "imaging/resample_filters.h"
#include "io/image/image.h"
#include "tensor/convert.h"
#include "util/error.h"

namespace fluxgen::imaging {

namespace {

AxisWeights axis_weights(int in, int out, TensorResize mode) {
  switch (mode) {
    case TensorResize::Bilinear: return torch_axis_weights(in, out, Filter::Bilinear);
    case TensorResize::Bicubic: return torch_axis_weights(in, out, Filter::Bicubic);
    case TensorResize::BilinearAntialias: return pil_axis_weights(in, 0, in, out, Filter::Bilinear);
    case TensorResize::BicubicAntialias: return pil_axis_weights(in, 0, in, out, Filter::Bicubic);
    case TensorResize::Lanczos: return pil_axis_weights(in, 0, in, out, Filter::Lanczos);
    case TensorResize::Nearest:
    case TensorResize::NearestExact: {
      // One tap of weight 1; PyTorch computes the source index in float.
      AxisWeights w;
      w.taps = 1;
      w.first.resize(out);
      w.count.assign(out, 1);
      w.weight.assign(out, 1.0);
      const float scale = static_cast<float>(in) / static_cast<float>(out);
      const float offset = mode == TensorResize::NearestExact ? 0.5f : 0.0f;
      for (int i = 0; i < out; ++i)
        w.first[i] = std::min(static_cast<int>(std::floor((static_cast<float>(i) + offset) * scale)), in - 1);
      return w;
    }
  }
  fail("resize_tensor: unknown mode");
}

// One plane [H, W] -> [H, out_w] along rows.
void horizontal(const float* src, int H, int W, const AxisWeights& w, int out_w, float* dst) {
  for (int y = 0; y < H; ++y) {
    const float* row = src + static_cast<size_t>(y) * W;
    for (int xx = 0; xx < out_w; ++xx) {
      const double* k = &w.weight[static_cast<size_t>(xx) * w.taps];
      const float* s = row + w.first[xx];
      double acc = 0.0;
      for (int x = 0; x < w.count[xx]; ++x) acc += s[x] * k[x];
      dst[static_cast<size_t>(y) * out_w + xx] = static_cast<float>(acc);
    }
  }
}

// One plane [H, W] -> [out_h, W] along columns.
void vertical(const float* src, int W, const AxisWeights& w, int out_h, float* dst) {
  std::vector<double> acc(W);
  for (int yy = 0; yy < out_h; ++yy) {
    std::fill(acc.begin(), acc.end(), 0.0);
    const double* k = &w.weight[static_cast<size_t>(yy) * w.taps];
    for (int y = 0; y < w.count[yy]; ++y) {
      const float* row = src + static_cast<size_t>(w.first[yy] + y) * W;
      for (int x = 0; x < W; ++x) acc[x] += row[x] * k[y];
    }
    for (int x = 0; x < W; ++x) dst[static_cast<size_t>(yy) * W + x] = static_cast<float>(acc[x]);
  }
}

}  // namespace

Tensor resize_tensor(const Tensor& x_in, int64_t height, int64_t width, TensorResize mode) {
  check(x_in.ndim() == 4, "resize_tensor: expected [N, C, H, W], got ", x_in.describe());
  check(dtype_is_float(x_in.dtype()), "resize_tensor: expected a float tensor, got ", x_in.describe());
  check_image_size(width, height, "resize_tensor target");
  const Tensor x = to_f32(x_in);
  const int64_t planes = x.dim(0) * x.dim(1);
  const int H = static_cast<int>(x.dim(2)), W = static_cast<int>(x.dim(3));
  const int oh = static_cast<int>(height), ow = static_cast<int>(width);
  check(H > 0 && W > 0, "resize_tensor: empty input ", x.describe());
  const bool need_h = ow != W, need_v = oh != H;
  const AxisWeights wx = axis_weights(W, ow, mode);
  const AxisWeights wy = axis_weights(H, oh, mode);
  Tensor out = Tensor::empty({x.dim(0), x.dim(1), height, width});
  std::vector<float> tmp(need_h ? static_cast<size_t>(H) * ow : 0);
  for (int64_t p = 0; p < planes; ++p) {
    const float* src = x.f32() + p * H * W;
    float* dst = out.f32() + p * oh * ow;
    if (need_h && need_v) {
      horizontal(src, H, W, wx, ow, tmp.data());
      vertical(tmp.data(), ow, wy, oh, dst);
    } else if (need_h) {
      horizontal(src, H, W, wx, ow, dst);
    } else if (need_v) {
      vertical(src, W, wy, oh, dst);
    } else {
      std::copy_n(src, static_cast<size_t>(H) * W, dst);
    }
  }
  return out;
}

}  // namespace fluxgen::imaging
