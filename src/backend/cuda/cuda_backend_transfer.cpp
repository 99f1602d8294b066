// CudaBackend: construction, moving tensors between host and device, dequantization.
#include "backend/cuda/cuda_backend.h"
#include "backend/cuda/cuda_context.h"
#include "backend/cuda/device_tensors.h"
#include "tensor/convert.h"
#include "util/error.h"

namespace fluxgen::cuda {

CudaBackend::CudaBackend(const CudaBackendOptions& options) { set_options(options); }

void CudaBackend::set_options(const CudaBackendOptions& options) {
  check(options.activations == DType::BF16 || options.activations == DType::F32,
        "CUDA backend: activations must be BF16 or F32, not ", dtype_name(options.activations));
  options_ = options;
}

Tensor CudaBackend::upload(const Tensor& host) {
  check(host.defined(), "upload: undefined tensor");
  // Integers (token ids) keep their values exactly; every float format becomes an activation.
  if (!dtype_is_float(host.dtype()) && !dtype_is_quantized_block(host.dtype())) return on_device(host);
  return on_device_as(host, options_.activations);
}

Tensor CudaBackend::upload_weight(const Tensor& host) {
  check(host.defined(), "upload_weight: undefined tensor");
  // GGUF blocks travel as their raw bytes, like every storage dtype: decoded per use (decoded_weight).
  return on_device(host);
}

Tensor CudaBackend::download(const Tensor& t) {
  check(t.defined(), "download: undefined tensor");
  return to_f32(host_copy(t));
}

Tensor CudaBackend::dequantize(const Tensor& weight) { return input(weight, "dequantize"); }

Tensor CudaBackend::input(const Tensor& t, const char* op) const {
  check(t.defined(), op, ": undefined tensor");
  return on_device_as(t, options_.activations);
}

Tensor CudaBackend::decoded_weight(const Tensor& w_in) {
  const Tensor w = on_device(w_in);
  const DType act = options_.activations;
  if (w.dtype() == act) return w;
  const size_t bytes = dtype_storage_bytes(act, w.numel());
  if (!weight_buffer_.defined() || weight_buffer_.nbytes() < bytes) {
    // Kernels captured into a graph read the old buffer at every replay: the graph keeps it.
    if (capturing_ && weight_buffer_.defined()) captured_buffers_.push_back(weight_buffer_);
    weight_buffer_ = device_empty({static_cast<int64_t>((bytes + 1) / 2)}, DType::BF16);
  }
  Tensor out = Tensor::from_storage(w.shape(), act, weight_buffer_.storage(), weight_buffer_.storage_offset());
  const bool quantized = dtype_is_quantized_block(w.dtype());
  kernels::decode(w.dtype(), w.raw_data(), quantized ? w.absmax().data<float>() : nullptr,
                  quantized ? w.block_size() : 1, code_table_of(w.dtype()), w.numel(), act, out.raw_data(),
                  Context::get().stream());
  return out;
}

}  // namespace fluxgen::cuda
