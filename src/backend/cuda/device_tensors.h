// Device tensors as the CUDA backend makes and takes them: fresh allocations, arguments brought to
// the device (host arguments are copied as stored, the way Backend::upload_weight does), and
// conversions to the activation dtypes.
#pragma once
#include "backend/cuda/convert_kernels.h"
#include "backend/cuda/device_math_types.h"
#include "tensor/tensor.h"

namespace fluxgen::cuda {

// A new tensor in device memory (contents undefined).
Tensor device_empty(const Shape& shape, DType dtype);
// `t` on the device in its own dtype: itself, or a copy of a host tensor (NF4/FP4 with absmax).
Tensor on_device(const Tensor& t);
// `t` on the device as F32 or BF16: itself when it already is, else a decoded copy (any dtype).
Tensor on_device_as(const Tensor& t, DType dtype);
// A host tensor holding the bytes of device tensor `t`, same dtype (NF4/FP4 with absmax).
Tensor host_copy(const Tensor& t);

// The NF4/FP4 code table of a dtype (zeros for the others).
kernels::CodeTable code_table_of(DType t);
// bitsandbytes' quantization constants as the device quantizer takes them.
kernels::Bnb4Thresholds bnb4_thresholds();

// An F32 or BF16 device tensor encoded on the device in a storage dtype, with the host
// quantizers' results bit for bit: BF16/F32 (rounded to nearest even), F8_E4M3/F8_E5M2
// (saturating), NF4/FP4 (bitsandbytes blocks of block_size).
Tensor encode_on_device(const Tensor& t, DType storage, int block_size = 64);

// An optional parameter vector of `expected` elements as the kernels read it (F32, BF16 or F16 as
// stored, anything else converted to F32). `tensor` keeps the device copy alive.
struct DeviceParam {
  Tensor tensor;
  kernels::ParamRef ref;
};
DeviceParam device_param(const Tensor* t, int64_t expected, const char* op);

}  // namespace fluxgen::cuda
