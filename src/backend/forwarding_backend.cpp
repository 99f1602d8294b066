#include "backend/forwarding_backend.h"

namespace fluxgen {

Tensor ForwardingBackend::call(const char*, std::initializer_list<const Tensor*>, const std::function<Tensor()>& run) {
  return run();
}

std::vector<Tensor> ForwardingBackend::args(const std::vector<Tensor>& ts) {
  std::vector<Tensor> out;
  out.reserve(ts.size());
  for (const Tensor& t : ts) out.push_back(arg(t));
  return out;
}

const char* ForwardingBackend::op_name(Activation a) {
  switch (a) {
    case Activation::SiLU: return "silu";
    case Activation::GeluTanh: return "gelu_tanh";
    case Activation::GeluErf: return "gelu";
    case Activation::QuickGelu: return "quick_gelu";
    case Activation::ReLU: return "relu";
    case Activation::Tanh: return "tanh";
    case Activation::Sigmoid: return "sigmoid";
  }
  return "activation";
}

const char* ForwardingBackend::op_name(Binary b) {
  switch (b) {
    case Binary::Add: return "add";
    case Binary::Sub: return "sub";
    case Binary::Mul: return "mul";
    case Binary::Div: return "div";
  }
  return "binary";
}

Tensor ForwardingBackend::upload(const Tensor& host) {
  return call("upload", {&host}, [&] { return inner().upload(host); });
}
Tensor ForwardingBackend::upload_weight(const Tensor& host) {
  return call("upload_weight", {&host}, [&] { return inner().upload_weight(host); });
}
Tensor ForwardingBackend::download(const Tensor& t) {
  return call("download", {&t}, [&] { return inner().download(t); });
}
Tensor ForwardingBackend::copy(const Tensor& src) {
  return call("copy", {&src}, [=, this] { return result(inner().copy(arg(src))); });
}
void ForwardingBackend::copy_into(const Tensor& dst, const Tensor& src) {
  call("copy_into", {&dst, &src}, [=, this] {
    inner().copy_into(arg(dst), arg(src));
    return dst;
  });
}
Tensor ForwardingBackend::dequantize(const Tensor& weight) {
  return call("dequantize", {&weight}, [=, this] { return result(inner().dequantize(arg(weight))); });
}
Tensor ForwardingBackend::linear(const Tensor& x, const Tensor& weight, const Tensor* bias) {
  return call("linear", {&x, &weight}, [=, this, bias = held(bias)] { return result(inner().linear(arg(x), arg(weight), opt(bias).get())); });
}
Tensor ForwardingBackend::attention(const Tensor& q, const Tensor& k, const Tensor& v, const Tensor* bias, bool causal, float scale) {
  return call("attention", {&q, &k}, [=, this, bias = held(bias)] { return result(inner().attention(arg(q), arg(k), arg(v), opt(bias).get(), causal, scale)); });
}
Tensor ForwardingBackend::layer_norm(const Tensor& x, const Tensor* weight, const Tensor* bias, float eps) {
  return call("layer_norm", {&x}, [=, this, weight = held(weight), bias = held(bias)] { return result(inner().layer_norm(arg(x), opt(weight).get(), opt(bias).get(), eps)); });
}
Tensor ForwardingBackend::rms_norm(const Tensor& x, const Tensor* weight, float eps) {
  return call("rms_norm", {&x}, [=, this, weight = held(weight)] { return result(inner().rms_norm(arg(x), opt(weight).get(), eps)); });
}
Tensor ForwardingBackend::group_norm(const Tensor& x, int groups, const Tensor* weight, const Tensor* bias, float eps) {
  return call("group_norm", {&x}, [=, this, weight = held(weight), bias = held(bias)] { return result(inner().group_norm(arg(x), groups, opt(weight).get(), opt(bias).get(), eps)); });
}
Tensor ForwardingBackend::modulated_layer_norm(const Tensor& x, const Tensor& scale, const Tensor& shift, float eps) {
  return call("modulated_layer_norm", {&x}, [=, this] { return result(inner().modulated_layer_norm(arg(x), arg(scale), arg(shift), eps)); });
}
Tensor ForwardingBackend::gated_add(const Tensor& x, const Tensor& gate, const Tensor& y) {
  return call("gated_add", {&x}, [=, this] { return result(inner().gated_add(arg(x), arg(gate), arg(y))); });
}
Tensor ForwardingBackend::softmax(const Tensor& x) {
  return call("softmax", {&x}, [=, this] { return result(inner().softmax(arg(x))); });
}
Tensor ForwardingBackend::activation(const Tensor& x, Activation a) {
  return call(op_name(a), {&x}, [=, this] { return result(inner().activation(arg(x), a)); });
}
Tensor ForwardingBackend::leaky_relu(const Tensor& x, float slope) {
  return call("leaky_relu", {&x}, [=, this] { return result(inner().leaky_relu(arg(x), slope)); });
}
Tensor ForwardingBackend::prelu(const Tensor& x, const Tensor& slope) {
  return call("prelu", {&x}, [=, this] { return result(inner().prelu(arg(x), arg(slope))); });
}
Tensor ForwardingBackend::binary(const Tensor& a, const Tensor& b, Binary op) {
  return call(op_name(op), {&a, &b}, [=, this] { return result(inner().binary(arg(a), arg(b), op)); });
}
Tensor ForwardingBackend::affine(const Tensor& x, float mul, float add) {
  return call("affine", {&x}, [=, this] { return result(inner().affine(arg(x), mul, add)); });
}
Tensor ForwardingBackend::clamp(const Tensor& x, float lo, float hi) {
  return call("clamp", {&x}, [=, this] { return result(inner().clamp(arg(x), lo, hi)); });
}
Tensor ForwardingBackend::permute(const Tensor& x, const std::vector<int>& dims) {
  return call("permute", {&x}, [=, this] { return result(inner().permute(arg(x), dims)); });
}
Tensor ForwardingBackend::concat(const std::vector<Tensor>& parts, int dim) {
  return call("concat", {}, [=, this] { return result(inner().concat(args(parts), dim)); });
}
Tensor ForwardingBackend::slice(const Tensor& x, int dim, int64_t start, int64_t end) {
  return call("slice", {&x}, [=, this] { return result(inner().slice(arg(x), dim, start, end)); });
}
Tensor ForwardingBackend::embedding(const Tensor& ids, const Tensor& table) {
  return call("embedding", {&ids, &table}, [=, this] { return result(inner().embedding(arg(ids), arg(table))); });
}
Tensor ForwardingBackend::rope(const Tensor& x, const Tensor& cos, const Tensor& sin) {
  return call("rope", {&x}, [=, this] { return result(inner().rope(arg(x), arg(cos), arg(sin))); });
}
Tensor ForwardingBackend::conv2d(const Tensor& x, const Tensor& weight, const Tensor* bias, int stride, int padding, int groups) {
  return call("conv2d", {&x, &weight}, [=, this, bias = held(bias)] { return result(inner().conv2d(arg(x), arg(weight), opt(bias).get(), stride, padding, groups)); });
}
Tensor ForwardingBackend::pad2d(const Tensor& x, int left, int right, int top, int bottom, float value) {
  return call("pad2d", {&x}, [=, this] { return result(inner().pad2d(arg(x), left, right, top, bottom, value)); });
}
Tensor ForwardingBackend::upsample_nearest(const Tensor& x, int factor) {
  return call("upsample_nearest", {&x}, [=, this] { return result(inner().upsample_nearest(arg(x), factor)); });
}
Tensor ForwardingBackend::pixel_shuffle(const Tensor& x, int factor) {
  return call("pixel_shuffle", {&x}, [=, this] { return result(inner().pixel_shuffle(arg(x), factor)); });
}
Tensor ForwardingBackend::pixel_unshuffle(const Tensor& x, int factor) {
  return call("pixel_unshuffle", {&x}, [=, this] { return result(inner().pixel_unshuffle(arg(x), factor)); });
}
Tensor ForwardingBackend::max_pool2d(const Tensor& x, int kernel, int stride, int padding) {
  return call("max_pool2d", {&x}, [=, this] { return result(inner().max_pool2d(arg(x), kernel, stride, padding)); });
}

}  // namespace fluxgen
