// CudaBackend: CUDA graphs of the denoising step (stream capture on the compute stream, replayed
// with cudaGraphLaunch) and the device copies that feed a graph its next inputs.
//
// What keeps a graph's memory valid between replays: every block its kernels use is either
// allocated during the capture (then it belongs to the graph's pool, DeviceAllocator::GraphPool,
// and no other tensor gets it while the graph lives), or held by something that outlives the
// graph (weights, the GEMM workspace, the caller's static input tensors), or the per-layer
// weight-decoding buffers (the current one and any the capture replaced), which the graph holds.
#include <cuda_runtime.h>

#include "backend/cuda/cuda_backend.h"
#include "backend/cuda/cuda_check.h"
#include "backend/cuda/cuda_context.h"
#include "backend/cuda/device_tensors.h"
#include "util/error.h"

namespace fluxgen::cuda {

namespace {

class CudaGraph final : public DeviceGraph {
 public:
  CudaGraph(cudaGraph_t graph, cudaGraphExec_t exec, std::shared_ptr<GraphPool> pool, std::vector<Tensor> held)
      : graph_(graph), exec_(exec), pool_(std::move(pool)), held_(std::move(held)) {}
  ~CudaGraph() override {
    // Replays still queued read the pool's blocks: they finish before the blocks can go elsewhere.
    cudaStreamSynchronize(Context::get().stream());
    cudaGraphExecDestroy(exec_);
    cudaGraphDestroy(graph_);
  }
  CudaGraph(const CudaGraph&) = delete;
  CudaGraph& operator=(const CudaGraph&) = delete;

  void replay() override { check_cuda(cudaGraphLaunch(exec_, Context::get().stream()), "cudaGraphLaunch"); }

 private:
  cudaGraph_t graph_;
  cudaGraphExec_t exec_;
  std::shared_ptr<GraphPool> pool_;
  std::vector<Tensor> held_;
};

}  // namespace

bool CudaBackend::supports_graphs() { return options_.graphs; }

void CudaBackend::begin_capture() {
  check(options_.graphs, "CUDA backend: graphs are off");
  check(!capturing_, "CUDA backend: a graph capture is under way already");
  Context& ctx = Context::get();
  ctx.allocator().begin_graph_pool();
  // Relaxed: the allocator may cudaMalloc a block for the graph's pool meanwhile (the block is
  // the graph's from then on, so the capture stays valid); work that conflicts with a capture (a
  // synchronization, a copy to the host) still fails it.
  const cudaError_t status = cudaStreamBeginCapture(ctx.stream(), cudaStreamCaptureModeRelaxed);
  if (status != cudaSuccess) {
    ctx.allocator().end_graph_pool();
    check_cuda(status, "cudaStreamBeginCapture");
  }
  capturing_ = true;
}

std::unique_ptr<DeviceGraph> CudaBackend::end_capture() {
  check(capturing_, "CUDA backend: end_capture without begin_capture");
  Context& ctx = Context::get();
  capturing_ = false;
  cudaGraph_t graph = nullptr;
  const cudaError_t ended = cudaStreamEndCapture(ctx.stream(), &graph);
  std::shared_ptr<GraphPool> pool = ctx.allocator().end_graph_pool();
  if (ended != cudaSuccess || graph == nullptr) {
    if (graph) cudaGraphDestroy(graph);
    cudaGetLastError();
    check_cuda(ended == cudaSuccess ? cudaErrorStreamCaptureInvalidated : ended, "cudaStreamEndCapture");
  }
  cudaGraphExec_t exec = nullptr;
  const cudaError_t made = cudaGraphInstantiate(&exec, graph, 0);
  if (made != cudaSuccess) {
    cudaGraphDestroy(graph);
    cudaGetLastError();
    check_cuda(made, "cudaGraphInstantiate");
  }
  std::vector<Tensor> held = std::move(captured_buffers_);
  captured_buffers_.clear();
  if (weight_buffer_.defined()) held.push_back(weight_buffer_);
  return std::make_unique<CudaGraph>(graph, exec, std::move(pool), std::move(held));
}

void CudaBackend::abort_capture() {
  if (!capturing_) return;
  capturing_ = false;
  captured_buffers_.clear();
  Context& ctx = Context::get();
  cudaGraph_t graph = nullptr;
  cudaStreamEndCapture(ctx.stream(), &graph);
  if (graph) cudaGraphDestroy(graph);
  cudaGetLastError();  // the error that failed the capture is the caller's to report
  ctx.allocator().end_graph_pool();
}

Tensor CudaBackend::copy(const Tensor& src) {
  check(src.defined() && src.device() == Device::CUDA && !dtype_is_quantized_block(src.dtype()),
        "CUDA copy: ", src.describe(), " is not an activation on the device");
  Tensor out = device_empty(src.shape(), src.dtype());
  copy_into(out, src);
  return out;
}

void CudaBackend::copy_into(const Tensor& dst, const Tensor& src) {
  check(src.defined() && dst.defined() && dst.device() == Device::CUDA, "CUDA copy_into: the target is not on the device");
  check(src.shape() == dst.shape() && src.dtype() == dst.dtype() && !dtype_is_quantized_block(src.dtype()),
        "CUDA copy_into: ", src.describe(), " into ", dst.describe(), " (shapes and dtypes must match)");
  if (src.nbytes() == 0) return;
  Tensor out = dst;
  check_cuda(cudaMemcpyAsync(out.raw_data(), src.raw_data(), src.nbytes(),
                             src.device() == Device::CUDA ? cudaMemcpyDeviceToDevice : cudaMemcpyHostToDevice,
                             Context::get().stream()),
             "copy into a device tensor");
}

}  // namespace fluxgen::cuda
