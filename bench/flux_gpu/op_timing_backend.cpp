#include "op_timing_backend.h"

#include <algorithm>
#include <map>

#include "backend/cuda/cuda_check.h"
#include "backend/cuda/cuda_context.h"

namespace fluxgen::bench {

namespace {
const char* activation_name(Activation a) {
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
const char* binary_name(Binary b) {
  switch (b) {
    case Binary::Add: return "add";
    case Binary::Sub: return "sub";
    case Binary::Mul: return "mul";
    case Binary::Div: return "div";
  }
  return "binary";
}
}  // namespace

OpTimingBackend::~OpTimingBackend() {
  for (const Pending& p : pending_) {
    cudaEventDestroy(p.start);
    cudaEventDestroy(p.stop);
  }
}

template <typename F>
Tensor OpTimingBackend::timed(std::string label, F&& call) {
  cudaStream_t stream = cuda::Context::get().stream();
  Pending p{std::move(label), nullptr, nullptr};
  cuda::check_cuda(cudaEventCreate(&p.start), "cudaEventCreate");
  cuda::check_cuda(cudaEventCreate(&p.stop), "cudaEventCreate");
  cuda::check_cuda(cudaEventRecord(p.start, stream), "cudaEventRecord");
  Tensor out = call();
  cuda::check_cuda(cudaEventRecord(p.stop, stream), "cudaEventRecord");
  pending_.push_back(std::move(p));
  return out;
}

std::vector<OpTimingBackend::Row> OpTimingBackend::rows() {
  cuda::Context::get().synchronize();
  std::map<std::string, Row> by_label;
  for (const Pending& p : pending_) {
    float ms = 0.0f;
    cuda::check_cuda(cudaEventElapsedTime(&ms, p.start, p.stop), "cudaEventElapsedTime");
    Row& r = by_label[p.label];
    r.op = p.label;
    ++r.calls;
    r.ms += ms;
  }
  std::vector<Row> out;
  for (auto& [label, r] : by_label) out.push_back(r);
  std::sort(out.begin(), out.end(), [](const Row& a, const Row& b) { return a.ms > b.ms; });
  return out;
}

Tensor OpTimingBackend::upload(const Tensor& h) { return timed("upload", [&] { return inner_.upload(h); }); }
Tensor OpTimingBackend::upload_weight(const Tensor& h) {
  return timed("upload_weight", [&] { return inner_.upload_weight(h); });
}
Tensor OpTimingBackend::download(const Tensor& t) { return timed("download", [&] { return inner_.download(t); }); }
Tensor OpTimingBackend::dequantize(const Tensor& w) {
  return timed("dequantize", [&] { return inner_.dequantize(w); });
}
Tensor OpTimingBackend::linear(const Tensor& x, const Tensor& w, const Tensor* b) {
  const int64_t K = w.ndim() == 2 ? w.dim(1) : 0;
  const std::string label = "linear " + std::string(dtype_name(w.dtype())) + " " +
                            std::to_string(K > 0 ? x.numel() / K : 0) + "x" + std::to_string(K) + "->" +
                            std::to_string(w.ndim() == 2 ? w.dim(0) : 0);
  return timed(label, [&] { return inner_.linear(x, w, b); });
}
Tensor OpTimingBackend::attention(const Tensor& q, const Tensor& k, const Tensor& v, const Tensor* bias, bool causal,
                                  float scale) {
  const std::string label = "attention L=" + std::to_string(q.dim(2)) + " D=" + std::to_string(q.dim(3));
  return timed(label, [&] { return inner_.attention(q, k, v, bias, causal, scale); });
}
Tensor OpTimingBackend::layer_norm(const Tensor& x, const Tensor* w, const Tensor* b, float eps) {
  return timed("layer_norm", [&] { return inner_.layer_norm(x, w, b, eps); });
}
Tensor OpTimingBackend::modulated_layer_norm(const Tensor& x, const Tensor& scale, const Tensor& shift, float eps) {
  return timed("modulated_layer_norm", [&] { return inner_.modulated_layer_norm(x, scale, shift, eps); });
}
Tensor OpTimingBackend::gated_add(const Tensor& x, const Tensor& gate, const Tensor& y) {
  return timed("gated_add", [&] { return inner_.gated_add(x, gate, y); });
}
Tensor OpTimingBackend::rms_norm(const Tensor& x, const Tensor* w, float eps) {
  return timed("rms_norm", [&] { return inner_.rms_norm(x, w, eps); });
}
Tensor OpTimingBackend::group_norm(const Tensor& x, int groups, const Tensor* w, const Tensor* b, float eps) {
  return timed("group_norm", [&] { return inner_.group_norm(x, groups, w, b, eps); });
}
Tensor OpTimingBackend::softmax(const Tensor& x) { return timed("softmax", [&] { return inner_.softmax(x); }); }
Tensor OpTimingBackend::activation(const Tensor& x, Activation a) {
  return timed(activation_name(a), [&] { return inner_.activation(x, a); });
}
Tensor OpTimingBackend::leaky_relu(const Tensor& x, float s) {
  return timed("leaky_relu", [&] { return inner_.leaky_relu(x, s); });
}
Tensor OpTimingBackend::prelu(const Tensor& x, const Tensor& s) {
  return timed("prelu", [&] { return inner_.prelu(x, s); });
}
Tensor OpTimingBackend::binary(const Tensor& a, const Tensor& b, Binary op) {
  return timed(binary_name(op), [&] { return inner_.binary(a, b, op); });
}
Tensor OpTimingBackend::affine(const Tensor& x, float m, float a) {
  return timed("affine", [&] { return inner_.affine(x, m, a); });
}
Tensor OpTimingBackend::clamp(const Tensor& x, float lo, float hi) {
  return timed("clamp", [&] { return inner_.clamp(x, lo, hi); });
}
Tensor OpTimingBackend::permute(const Tensor& x, const std::vector<int>& dims) {
  return timed("permute", [&] { return inner_.permute(x, dims); });
}
Tensor OpTimingBackend::concat(const std::vector<Tensor>& parts, int dim) {
  return timed("concat", [&] { return inner_.concat(parts, dim); });
}
Tensor OpTimingBackend::slice(const Tensor& x, int dim, int64_t s, int64_t e) {
  return timed("slice", [&] { return inner_.slice(x, dim, s, e); });
}
Tensor OpTimingBackend::embedding(const Tensor& ids, const Tensor& table) {
  return timed("embedding", [&] { return inner_.embedding(ids, table); });
}
Tensor OpTimingBackend::rope(const Tensor& x, const Tensor& c, const Tensor& s) {
  return timed("rope", [&] { return inner_.rope(x, c, s); });
}
Tensor OpTimingBackend::conv2d(const Tensor& x, const Tensor& w, const Tensor* b, int stride, int padding,
                               int groups) {
  return timed("conv2d", [&] { return inner_.conv2d(x, w, b, stride, padding, groups); });
}
Tensor OpTimingBackend::pad2d(const Tensor& x, int l, int r, int t, int b, float v) {
  return timed("pad2d", [&] { return inner_.pad2d(x, l, r, t, b, v); });
}
Tensor OpTimingBackend::upsample_nearest(const Tensor& x, int f) {
  return timed("upsample_nearest", [&] { return inner_.upsample_nearest(x, f); });
}
Tensor OpTimingBackend::pixel_shuffle(const Tensor& x, int f) {
  return timed("pixel_shuffle", [&] { return inner_.pixel_shuffle(x, f); });
}
Tensor OpTimingBackend::pixel_unshuffle(const Tensor& x, int f) {
  return timed("pixel_unshuffle", [&] { return inner_.pixel_unshuffle(x, f); });
}
Tensor OpTimingBackend::max_pool2d(const Tensor& x, int k, int s, int p) {
  return timed("max_pool2d", [&] { return inner_.max_pool2d(x, k, s, p); });
}

}  // namespace fluxgen::bench
