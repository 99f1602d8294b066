#include "op_timing_backend.h"

#include <algorithm>
#include <map>

#include "backend/cuda/cuda_check.h"
#include "backend/cuda/cuda_context.h"

namespace fluxgen::bench {

namespace {
// What groups calls: a GEMM by weight dtype and shape, attention by length and head size.
std::string label_of(const char* op, std::initializer_list<const Tensor*> inputs) {
  const std::string name(op);
  const auto in = inputs.begin();
  if (name == "linear" && inputs.size() >= 2) {
    const Tensor& x = *in[0];
    const Tensor& w = *in[1];
    const int64_t K = w.ndim() == 2 ? w.dim(1) : 0;
    return "linear " + std::string(dtype_name(w.dtype())) + " " + std::to_string(K > 0 ? x.numel() / K : 0) + "x" +
           std::to_string(K) + "->" + std::to_string(w.ndim() == 2 ? w.dim(0) : 0);
  }
  if (name == "attention" && inputs.size() >= 1 && in[0]->ndim() == 4)
    return "attention L=" + std::to_string(in[0]->dim(2)) + " D=" + std::to_string(in[0]->dim(3));
  return name;
}
}  // namespace

OpTimingBackend::~OpTimingBackend() {
  for (const Pending& p : pending_) {
    cudaEventDestroy(p.start);
    cudaEventDestroy(p.stop);
  }
}

Tensor OpTimingBackend::call(const char* op, std::initializer_list<const Tensor*> inputs,
                             const std::function<Tensor()>& run) {
  cudaStream_t stream = cuda::Context::get().stream();
  Pending p{label_of(op, inputs), nullptr, nullptr};
  cuda::check_cuda(cudaEventCreate(&p.start), "cudaEventCreate");
  cuda::check_cuda(cudaEventCreate(&p.stop), "cudaEventCreate");
  cuda::check_cuda(cudaEventRecord(p.start, stream), "cudaEventRecord");
  Tensor out = run();
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

}  // namespace fluxgen::bench
