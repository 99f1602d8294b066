// The shape arithmetic and argument checks of a 2-D convolution, shared by every backend so
// that each rejects the same bad arguments with the same messages.
#pragma once
#include <cstdint>

#include "tensor/tensor.h"

namespace fluxgen {

// Throws unless `x` is [N, C, H, W]; `op` names the operation in the message.
void check_nchw(const Tensor& x, const char* op);

struct Conv2dGeometry {
  int64_t N, C, H, W;    // input
  int64_t O, Cg, kh, kw;  // weight [O, C/groups, kh, kw]
  int64_t Ho, Wo;         // output spatial size
  int64_t Og, CKK;        // output channels per group, im2col rows (Cg·kh·kw)
};

// Validates conv2d's arguments (input, weight, bias length, stride/padding/groups) and derives
// the output size.
Conv2dGeometry conv2d_geometry(const Tensor& x, const Tensor& weight, const Tensor* bias, int stride, int padding,
                               int groups);

}  // namespace fluxgen
