#include "backend/ops.h"

#include <initializer_list>

#include "tensor/convert.h"
#include "util/error.h"

namespace fluxgen::ops {

namespace {
// The accelerator's backend when any argument lives on one, else the CPU's.
Backend& on(std::initializer_list<const Tensor*> tensors) {
  for (const Tensor* t : tensors)
    if (t && t->defined() && t->device() != Device::CPU) return backend_for(t->device());
  return backend_for(Device::CPU);
}
Backend& on(const Tensor& t) { return on({&t}); }
}  // namespace

Tensor to_host(const Tensor& t) { return on(t).download(t); }
Tensor to_device_of(const Tensor& t, const Tensor& like) {
  if (t.device() == like.device()) return t;
  if (like.device() == Device::CPU) return backend_for(t.device()).download(t);
  return backend_for(like.device()).upload_weight(t.device() == Device::CPU ? t : to_host(t));
}
Tensor to_device(const Tensor& t, Device device) {
  if (!t.defined() || t.device() == device) return t;
  if (device == Device::CPU) return to_host(t);
  return backend_for(device).upload(t.device() == Device::CPU ? t : to_host(t));
}
Tensor to_compute(const Tensor& t) { return t.device() == Device::CPU ? to_f32(t) : t; }
Tensor dequantize(const Tensor& weight) { return on(weight).dequantize(weight); }
Tensor linear(const Tensor& x, const Tensor& weight, const Tensor* bias) {
  return on({&x, &weight, bias}).linear(x, weight, bias);
}
Tensor attention(const Tensor& q, const Tensor& k, const Tensor& v, const Tensor* bias, bool causal, float scale) {
  return on({&q, &k, &v, bias}).attention(q, k, v, bias, causal, scale);
}
Tensor layer_norm(const Tensor& x, const Tensor* weight, const Tensor* bias, float eps) {
  return on({&x, weight, bias}).layer_norm(x, weight, bias, eps);
}
Tensor rms_norm(const Tensor& x, const Tensor* weight, float eps) { return on({&x, weight}).rms_norm(x, weight, eps); }
Tensor group_norm(const Tensor& x, int groups, const Tensor* weight, const Tensor* bias, float eps) {
  return on({&x, weight, bias}).group_norm(x, groups, weight, bias, eps);
}
Tensor softmax(const Tensor& x) { return on(x).softmax(x); }
Tensor activation(const Tensor& x, Activation a) { return on(x).activation(x, a); }
Tensor leaky_relu(const Tensor& x, float slope) { return on(x).leaky_relu(x, slope); }
Tensor prelu(const Tensor& x, const Tensor& slope) { return on({&x, &slope}).prelu(x, slope); }
Tensor add(const Tensor& a, const Tensor& b) { return on({&a, &b}).binary(a, b, Binary::Add); }
Tensor sub(const Tensor& a, const Tensor& b) { return on({&a, &b}).binary(a, b, Binary::Sub); }
Tensor mul(const Tensor& a, const Tensor& b) { return on({&a, &b}).binary(a, b, Binary::Mul); }
Tensor div(const Tensor& a, const Tensor& b) { return on({&a, &b}).binary(a, b, Binary::Div); }
Tensor affine(const Tensor& x, float mul, float add) { return on(x).affine(x, mul, add); }
Tensor clamp(const Tensor& x, float lo, float hi) { return on(x).clamp(x, lo, hi); }
Tensor permute(const Tensor& x, const std::vector<int>& dims) { return on(x).permute(x, dims); }
Tensor concat(const std::vector<Tensor>& parts, int dim) {
  check(!parts.empty(), "concat: no tensors");
  for (const Tensor& p : parts)
    if (p.defined() && p.device() != Device::CPU) return backend_for(p.device()).concat(parts, dim);
  return backend_for(Device::CPU).concat(parts, dim);
}
Tensor slice(const Tensor& x, int dim, int64_t start, int64_t end) { return on(x).slice(x, dim, start, end); }
std::vector<Tensor> chunk(const Tensor& x, int n, int dim) {
  const int64_t size = x.dim(dim);
  check(n > 0 && size % n == 0, "chunk: dimension ", dim, " of ", x.describe(), " does not split into ", n);
  std::vector<Tensor> out;
  const int64_t step = size / n;
  for (int i = 0; i < n; ++i) out.push_back(slice(x, dim, i * step, (i + 1) * step));
  return out;
}
Tensor embedding(const Tensor& ids, const Tensor& table) { return on({&table, &ids}).embedding(ids, table); }
Tensor rope(const Tensor& x, const Tensor& cos, const Tensor& sin) { return on({&x, &cos, &sin}).rope(x, cos, sin); }
Tensor conv2d(const Tensor& x, const Tensor& weight, const Tensor* bias, int stride, int padding, int groups) {
  return on({&x, &weight, bias}).conv2d(x, weight, bias, stride, padding, groups);
}
Tensor pad2d(const Tensor& x, int left, int right, int top, int bottom, float value) {
  return on(x).pad2d(x, left, right, top, bottom, value);
}
Tensor upsample_nearest(const Tensor& x, int factor) { return on(x).upsample_nearest(x, factor); }
Tensor pixel_shuffle(const Tensor& x, int factor) { return on(x).pixel_shuffle(x, factor); }
Tensor pixel_unshuffle(const Tensor& x, int factor) { return on(x).pixel_unshuffle(x, factor); }
Tensor max_pool2d(const Tensor& x, int kernel, int stride, int padding) {
  return on(x).max_pool2d(x, kernel, stride, padding);
}

}  // namespace fluxgen::ops
