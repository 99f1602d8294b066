#include "backend/conv2d_geometry.h"

#include "util/error.h"

namespace fluxgen {

void check_nchw(const Tensor& x, const char* op) {
  check(x.defined() && x.ndim() == 4, op, ": input must be [N, C, H, W], got ", x.describe());
}

Conv2dGeometry conv2d_geometry(const Tensor& x, const Tensor& weight, const Tensor* bias, int stride, int padding,
                               int groups) {
  check_nchw(x, "conv2d");
  check(weight.defined() && weight.ndim() == 4, "conv2d: weight must be [O, C/groups, kh, kw], got ",
        weight.describe());
  check(stride >= 1 && padding >= 0 && groups >= 1, "conv2d: bad stride/padding/groups");
  Conv2dGeometry g{};
  g.N = x.dim(0), g.C = x.dim(1), g.H = x.dim(2), g.W = x.dim(3);
  g.O = weight.dim(0), g.Cg = weight.dim(1), g.kh = weight.dim(2), g.kw = weight.dim(3);
  check(g.C == g.Cg * groups && g.O % groups == 0, "conv2d: input ", x.describe(), " does not match weight ",
        weight.describe(), " with ", groups, " groups");
  // Checked before dividing: C++ division truncates toward zero, so a negative span would
  // otherwise still yield one output row.
  check(g.H + 2 * padding >= g.kh && g.W + 2 * padding >= g.kw, "conv2d: input ", x.describe(), " with padding ",
        padding, " is smaller than the kernel ", weight.describe());
  if (bias)
    check(bias->defined() && bias->numel() == g.O, "conv2d: bias ", bias->describe(), " does not match ", g.O,
          " output channels");
  g.Ho = (g.H + 2 * padding - g.kh) / stride + 1;
  g.Wo = (g.W + 2 * padding - g.kw) / stride + 1;
  g.Og = g.O / groups;
  g.CKK = g.Cg * g.kh * g.kw;
  return g;
}

}  // namespace fluxgen
