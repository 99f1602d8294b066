// CudaBackend: page-locked host copies and the copy stream for weight streaming, memory statistics,
// the VRAM budget and the choice of card.
#include <cuda_runtime.h>

#include <cstring>

#include "backend/cuda/cuda_backend.h"
#include "backend/cuda/cuda_check.h"
#include "backend/cuda/cuda_context.h"
#include "backend/cuda/device_tensors.h"
#include "util/error.h"

namespace fluxgen::cuda {

namespace {

Tensor pinned_copy(const Tensor& host, DType dtype, const Shape& shape) {
  const size_t bytes = host.nbytes();
  void* p = nullptr;
  check_cuda(cudaMallocHost(&p, std::max<size_t>(bytes, 1)), "cudaMallocHost (page-locked weights)");
  if (bytes) std::memcpy(p, host.raw_data(), bytes);
  auto s = std::make_shared<Storage>();
  s->data = p;
  s->bytes = bytes;
  s->release = [p] { cudaFreeHost(p); };
  return Tensor::from_storage(shape, dtype, std::move(s));
}

// One copy on the copy stream into a fresh device block.
Tensor copy_async(const Tensor& host, cudaStream_t stream) {
  Tensor d = device_empty(host.shape(), host.dtype());
  if (host.nbytes() > 0)
    check_cuda(cudaMemcpyAsync(d.raw_data(), host.raw_data(), host.nbytes(), cudaMemcpyHostToDevice, stream),
               "copy a streamed weight to the device");
  return d;
}

}  // namespace

Tensor CudaBackend::pin(const Tensor& host) {
  check(host.defined() && host.device() == Device::CPU, "pin: host tensors only");
  if (!dtype_is_quantized_block(host.dtype())) return pinned_copy(host, host.dtype(), host.shape());
  const Tensor packed =
      Tensor::wrap({static_cast<int64_t>(host.nbytes())}, DType::U8, host.raw_data(), host.nbytes(), host.storage());
  return Tensor::quantized(host.shape(), host.dtype(), pinned_copy(packed, DType::U8, packed.shape()),
                           pinned_copy(host.absmax(), host.absmax().dtype(), host.absmax().shape()), host.block_size());
}

Tensor CudaBackend::upload_weight_async(const Tensor& host) {
  check(host.defined(), "upload_weight_async: undefined tensor");
  if (host.device() == Device::CUDA) return host;
  Context& ctx = Context::get();
  // The copy may land in a block the allocator took back from work still queued on the compute
  // stream (the previous streamed block): it starts only after everything queued so far.
  check_cuda(cudaEventRecord(ctx.compute_mark(), ctx.stream()), "cudaEventRecord");
  check_cuda(cudaStreamWaitEvent(ctx.copy_stream(), ctx.compute_mark(), 0), "cudaStreamWaitEvent");
  Tensor out;
  if (!dtype_is_quantized_block(host.dtype())) {
    out = copy_async(host, ctx.copy_stream());
  } else {
    const Tensor packed =
        Tensor::wrap({static_cast<int64_t>(host.nbytes())}, DType::U8, host.raw_data(), host.nbytes(), host.storage());
    out = Tensor::quantized(host.shape(), host.dtype(), copy_async(packed, ctx.copy_stream()),
                            copy_async(host.absmax(), ctx.copy_stream()), host.block_size());
  }
  check_cuda(cudaEventRecord(ctx.copies_done(), ctx.copy_stream()), "cudaEventRecord");
  return out;
}

void CudaBackend::wait_for_uploads() {
  Context& ctx = Context::get();
  // The copy stream runs in order: waiting for its last event waits for every copy before it.
  check_cuda(cudaStreamWaitEvent(ctx.stream(), ctx.copies_done(), 0), "cudaStreamWaitEvent");
}

DeviceMemory CudaBackend::memory() {
  Context& ctx = Context::get();
  DeviceMemory m;
  size_t free = 0, total = 0;
  check_cuda(cudaMemGetInfo(&free, &total), "cudaMemGetInfo");
  m.free = free;
  m.total = total;
  const MemoryStats s = ctx.allocator().stats();
  m.in_use = s.in_use;
  m.peak_in_use = s.peak_in_use;
  m.reserved = s.reserved;
  m.peak_reserved = s.peak_reserved;
  m.limit = ctx.allocator().limit();
  return m;
}

void CudaBackend::set_memory_limit(uint64_t bytes) { Context::get().allocator().set_limit(bytes); }
void CudaBackend::reset_memory_peak() { Context::get().allocator().reset_peaks(); }
void CudaBackend::release_cached() { Context::get().allocator().release_cached(); }

void CudaBackend::use_device(int index) {
  int count = 0;
  if (cudaGetDeviceCount(&count) != cudaSuccess) {
    cudaGetLastError();
    count = 0;
  }
  check(index >= 0 && index < count, "--device cuda:", index, ": this machine has ", count, " CUDA device(s)");
  if (Context::created()) {
    check(Context::get().device().index == index, "--device cuda:", index, ": the GPU cuda:",
          Context::get().device().index, " is already in use by this process");
    return;
  }
  check_cuda(cudaSetDevice(index), "cudaSetDevice");
}

std::string CudaBackend::device_name() { return Context::get().device().name; }

}  // namespace fluxgen::cuda
