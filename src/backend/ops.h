// Tensor operations for model code: each call runs on the accelerator when any of its tensor
// arguments lives there (its backend takes the host arguments as inputs), else on the CPU.
// See backend/backend.h for the exact semantics of each operation.
#pragma once
#include <vector>

#include "backend/backend.h"

namespace fluxgen::ops {

// A tensor as host F32 (a copy back from the device, or the tensor itself on the CPU).
Tensor to_host(const Tensor& t);
// `t` on the device of `like`: itself when already there, a copy kept in its own dtype when `like`
// is on an accelerator (Backend::upload_weight), host F32 when `like` is on the host. For tables a
// model computes on the host once per forward (RoPE angles, position biases) so that every op
// using them does not copy them again.
Tensor to_device_of(const Tensor& t, const Tensor& like);
// An activation (latent, noise, conditioning) on `device` in that device's compute dtype: itself
// when already there, host F32 for the CPU.
Tensor to_device(const Tensor& t, Device device);
// `t` ready to compute with where it is: host F32 on the CPU (whose kernels compute in F32:
// convert once at load, not every forward), itself on an accelerator (its kernels convert).
Tensor to_compute(const Tensor& t);
Tensor dequantize(const Tensor& weight);
Tensor linear(const Tensor& x, const Tensor& weight, const Tensor* bias = nullptr);
Tensor attention(const Tensor& q, const Tensor& k, const Tensor& v, const Tensor* bias = nullptr, bool causal = false,
                 float scale = 0.0f);

Tensor layer_norm(const Tensor& x, const Tensor* weight, const Tensor* bias, float eps);
Tensor rms_norm(const Tensor& x, const Tensor* weight, float eps);
Tensor group_norm(const Tensor& x, int groups, const Tensor* weight, const Tensor* bias, float eps);
Tensor softmax(const Tensor& x);

Tensor activation(const Tensor& x, Activation a);
inline Tensor silu(const Tensor& x) { return activation(x, Activation::SiLU); }
inline Tensor gelu_tanh(const Tensor& x) { return activation(x, Activation::GeluTanh); }
inline Tensor gelu(const Tensor& x) { return activation(x, Activation::GeluErf); }
inline Tensor quick_gelu(const Tensor& x) { return activation(x, Activation::QuickGelu); }
inline Tensor relu(const Tensor& x) { return activation(x, Activation::ReLU); }
inline Tensor tanh(const Tensor& x) { return activation(x, Activation::Tanh); }
inline Tensor sigmoid(const Tensor& x) { return activation(x, Activation::Sigmoid); }
Tensor leaky_relu(const Tensor& x, float slope);
Tensor prelu(const Tensor& x, const Tensor& slope);

Tensor add(const Tensor& a, const Tensor& b);
Tensor sub(const Tensor& a, const Tensor& b);
Tensor mul(const Tensor& a, const Tensor& b);
Tensor div(const Tensor& a, const Tensor& b);
Tensor affine(const Tensor& x, float mul, float add);
inline Tensor scale(const Tensor& x, float s) { return affine(x, s, 0.0f); }
Tensor clamp(const Tensor& x, float lo, float hi);

Tensor permute(const Tensor& x, const std::vector<int>& dims);
Tensor concat(const std::vector<Tensor>& parts, int dim);
Tensor slice(const Tensor& x, int dim, int64_t start, int64_t end);
// n equal parts along dim.
std::vector<Tensor> chunk(const Tensor& x, int n, int dim);
Tensor embedding(const Tensor& ids, const Tensor& table);
Tensor rope(const Tensor& x, const Tensor& cos, const Tensor& sin);

Tensor conv2d(const Tensor& x, const Tensor& weight, const Tensor* bias = nullptr, int stride = 1, int padding = 0,
              int groups = 1);
Tensor pad2d(const Tensor& x, int left, int right, int top, int bottom, float value = 0.0f);
Tensor upsample_nearest(const Tensor& x, int factor);
Tensor pixel_shuffle(const Tensor& x, int factor);
Tensor pixel_unshuffle(const Tensor& x, int factor);
Tensor max_pool2d(const Tensor& x, int kernel, int stride, int padding);

}  // namespace fluxgen::ops
