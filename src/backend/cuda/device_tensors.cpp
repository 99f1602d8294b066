#include "backend/cuda/device_tensors.h"

#include <cstring>

#include "backend/cuda/cuda_check.h"
#include "backend/cuda/cuda_context.h"
#include "tensor/bnb4.h"
#include "util/error.h"

namespace fluxgen::cuda {

Tensor device_empty(const Shape& shape, DType dtype) {
  const size_t bytes = dtype_storage_bytes(dtype, shape_numel(shape));
  return Tensor::from_storage(shape, dtype, Context::get().allocator().allocate(bytes));
}

namespace {
Tensor copy_bytes_to_device(const Tensor& host) {
  Tensor d = device_empty(host.shape(), host.dtype());
  if (host.nbytes() > 0)
    check_cuda(cudaMemcpyAsync(d.raw_data(), host.raw_data(), host.nbytes(), cudaMemcpyHostToDevice,
                               Context::get().stream()),
               "copy to the device");
  return d;
}
}  // namespace

Tensor on_device(const Tensor& t) {
  check(t.defined(), "CUDA backend: undefined tensor");
  if (t.device() == Device::CUDA) return t;
  if (!dtype_is_quantized_block(t.dtype())) return copy_bytes_to_device(t);
  const Tensor packed = Tensor::wrap({static_cast<int64_t>(t.nbytes())}, DType::U8, t.raw_data(), t.nbytes(), t.storage());
  return Tensor::quantized(t.shape(), t.dtype(), copy_bytes_to_device(packed), copy_bytes_to_device(t.absmax()),
                           t.block_size());
}

kernels::CodeTable code_table_of(DType t) {
  kernels::CodeTable table{};
  if (dtype_is_quantized_block(t)) {
    const auto& codes = bnb::code_table(t);
    for (int i = 0; i < 16; ++i) table.value[i] = codes[static_cast<size_t>(i)];
  }
  return table;
}

kernels::Bnb4Thresholds bnb4_thresholds() {
  kernels::Bnb4Thresholds t{};
  for (size_t i = 0; i < 15; ++i) t.nf4[i] = bnb::nf4_thresholds()[i];
  for (size_t i = 0; i < 7; ++i) t.fp4[i] = bnb::fp4_thresholds()[i];
  for (size_t i = 0; i < 8; ++i) t.fp4_codes[i] = bnb::fp4_magnitude_codes()[i];
  return t;
}

Tensor encode_on_device(const Tensor& t, DType storage, int block_size) {
  check(t.device() == Device::CUDA && (t.dtype() == DType::F32 || t.dtype() == DType::BF16),
        "encode_on_device: expected an F32 or BF16 device tensor, got ", t.describe());
  cudaStream_t stream = Context::get().stream();
  const int64_t n = t.numel();
  if (storage == DType::F32 || storage == DType::BF16) return on_device_as(t, storage);
  if (storage == DType::F8_E4M3 || storage == DType::F8_E5M2) {
    Tensor out = device_empty(t.shape(), storage);
    kernels::encode_fp8(t.dtype(), t.raw_data(), n, storage, out.raw_data(), stream);
    return out;
  }
  check(dtype_is_quantized_block(storage), "encode_on_device: no device encoder for ", dtype_name(storage));
  check(block_size > 0 && block_size % 2 == 0, "encode_on_device: block size must be a positive even number");
  Tensor packed = device_empty({(n + 1) / 2}, DType::U8);
  Tensor absmax = device_empty({(n + block_size - 1) / block_size}, DType::F32);
  kernels::quantize_bnb4(storage, t.dtype(), t.raw_data(), n, block_size, bnb4_thresholds(), packed.data<uint8_t>(),
                         absmax.data<float>(), stream);
  return Tensor::quantized(t.shape(), storage, std::move(packed), std::move(absmax), block_size);
}

Tensor on_device_as(const Tensor& t, DType dtype) {
  check(dtype == DType::F32 || dtype == DType::BF16, "internal: CUDA activations are F32 or BF16");
  if (t.device() == Device::CUDA && t.dtype() == dtype) return t;
  const Tensor src = on_device(t);
  Tensor out = device_empty(t.shape(), dtype);
  const bool quantized = dtype_is_quantized_block(src.dtype());
  kernels::decode(src.dtype(), src.raw_data(), quantized ? src.absmax().data<float>() : nullptr,
                  quantized ? src.block_size() : 1, code_table_of(src.dtype()), src.numel(), dtype, out.raw_data(),
                  Context::get().stream());
  return out;
}

Tensor host_copy(const Tensor& t) {
  if (t.device() == Device::CPU) return t;
  auto copy = [](const Tensor& d) {
    Tensor h = Tensor::empty(d.shape(), d.dtype());
    if (d.nbytes() > 0)
      check_cuda(cudaMemcpyAsync(h.raw_data(), d.raw_data(), d.nbytes(), cudaMemcpyDeviceToHost,
                                 Context::get().stream()),
                 "copy to the host");
    return h;
  };
  Tensor out;
  if (dtype_is_quantized_block(t.dtype())) {
    const Tensor packed = Tensor::from_storage({static_cast<int64_t>(t.nbytes())}, DType::U8, t.storage(),
                                               t.storage_offset());
    out = Tensor::quantized(t.shape(), t.dtype(), copy(packed), copy(t.absmax()), t.block_size());
  } else {
    out = copy(t);
  }
  Context::get().synchronize();
  return out;
}

DeviceParam device_param(const Tensor* t, int64_t expected, const char* op) {
  DeviceParam p;
  if (!t) return p;
  check(t->defined(), op, ": undefined parameter tensor");
  check(t->numel() == expected, op, ": parameter ", t->describe(), " does not have ", expected, " entries");
  const DType dt = t->dtype();
  p.tensor = (dt == DType::F32 || dt == DType::BF16 || dt == DType::F16) ? on_device(*t) : on_device_as(*t, DType::F32);
  p.ref.p = p.tensor.raw_data();
  p.ref.dtype = p.tensor.dtype();
  return p;
}

}  // namespace fluxgen::cuda
