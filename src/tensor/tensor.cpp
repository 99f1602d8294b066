#include "tensor/tensor.h"

#include <cstdlib>
#include <cstring>

#include "tensor/host_memory.h"
#include "util/error.h"
#include "util/strings.h"

namespace fluxgen {

int64_t shape_numel(const Shape& shape) {
  int64_t n = 1;
  for (int64_t d : shape) {
    check(d >= 0, "negative dimension in shape ", shape_string(shape));
    n *= d;
  }
  return n;
}

namespace {
std::shared_ptr<Storage> host_storage(size_t bytes) {
  auto s = std::make_shared<Storage>();
  // 64-byte aligned (vector loads); at least one byte so empty tensors are still "defined".
  s->data = allocate_host(bytes);
  s->bytes = bytes;
  s->device = Device::CPU;
  void* p = s->data;
  s->release = [p, bytes] { release_host(p, bytes); };
  return s;
}
}  // namespace

Tensor Tensor::empty(Shape shape, DType dtype, Device device) {
  check(device == Device::CPU, "Tensor::empty: device tensors are allocated by their backend");
  Tensor t;
  t.shape_ = std::move(shape);
  t.dtype_ = dtype;
  t.storage_ = host_storage(t.nbytes());
  return t;
}

Tensor Tensor::zeros(Shape shape, DType dtype) {
  Tensor t = empty(std::move(shape), dtype);
  std::memset(t.raw_data(), 0, t.nbytes());
  return t;
}

Tensor Tensor::full(Shape shape, float value) {
  Tensor t = empty(std::move(shape));
  float* p = t.f32();
  for (int64_t i = 0, n = t.numel(); i < n; ++i) p[i] = value;
  return t;
}

Tensor Tensor::from_vector(Shape shape, const std::vector<float>& values) {
  Tensor t = empty(std::move(shape));
  check(static_cast<int64_t>(values.size()) == t.numel(), "Tensor::from_vector: ", values.size(),
        " values for shape ", shape_string(t.shape()));
  if (!values.empty()) std::memcpy(t.raw_data(), values.data(), values.size() * sizeof(float));
  return t;
}

Tensor Tensor::wrap(Shape shape, DType dtype, const void* data, size_t bytes, std::shared_ptr<const void> owner) {
  Tensor t;
  t.shape_ = std::move(shape);
  t.dtype_ = dtype;
  check(bytes >= t.nbytes(), "Tensor::wrap: ", bytes, " bytes for ", t.describe());
  auto s = std::make_shared<Storage>();
  s->data = const_cast<void*>(data);
  s->bytes = bytes;
  s->device = Device::CPU;
  s->release = [owner = std::move(owner)]() mutable { owner.reset(); };
  t.storage_ = std::move(s);
  return t;
}

Tensor Tensor::quantized(Shape shape, DType format, Tensor packed, Tensor absmax, int block_size) {
  check(dtype_is_quantized_block(format), "Tensor::quantized: ", dtype_name(format), " is not a block format");
  check(block_size > 0, "Tensor::quantized: block size must be positive");
  Tensor t;
  t.shape_ = std::move(shape);
  t.dtype_ = format;
  const int64_t n = t.numel();
  check(packed.nbytes() >= t.nbytes(), "quantized tensor: ", packed.nbytes(), " packed bytes for ", n, " elements");
  const int64_t blocks = (n + block_size - 1) / block_size;
  check(absmax.dtype() == DType::F32 && absmax.numel() == blocks, "quantized tensor: absmax has ",
        absmax.numel(), " entries, ", blocks, " blocks of ", block_size, " needed for ", n, " elements");
  t.storage_ = packed.storage_;
  t.offset_ = packed.offset_;
  t.absmax_ = std::make_shared<Tensor>(std::move(absmax));
  t.block_size_ = block_size;
  return t;
}

Tensor Tensor::from_storage(Shape shape, DType dtype, std::shared_ptr<Storage> storage, size_t offset) {
  Tensor t;
  t.shape_ = std::move(shape);
  t.dtype_ = dtype;
  check(storage && offset + t.nbytes() <= storage->bytes, "Tensor::from_storage: buffer too small for ", t.describe());
  t.storage_ = std::move(storage);
  t.offset_ = offset;
  return t;
}

int64_t Tensor::dim(int i) const {
  const int n = ndim();
  const int j = i < 0 ? i + n : i;
  check(j >= 0 && j < n, "dimension ", i, " out of range for ", describe());
  return shape_[static_cast<size_t>(j)];
}

Device Tensor::device() const { return storage_ ? storage_->device : Device::CPU; }

std::string Tensor::describe() const { return std::string(dtype_name(dtype_)) + shape_string(shape_); }

void* Tensor::raw_data() {
  check(defined(), "use of an undefined tensor");
  return static_cast<char*>(storage_->data) + offset_;
}

const void* Tensor::raw_data() const {
  check(defined(), "use of an undefined tensor");
  return static_cast<const char*>(storage_->data) + offset_;
}

float* Tensor::f32() {
  check(dtype_ == DType::F32 && device() == Device::CPU, "expected a host F32 tensor, got ", describe());
  return data<float>();
}

const float* Tensor::f32() const {
  check(dtype_ == DType::F32 && device() == Device::CPU, "expected a host F32 tensor, got ", describe());
  return data<float>();
}

Tensor Tensor::reshape(Shape shape) const {
  int infer = -1;
  int64_t known = 1;
  for (size_t i = 0; i < shape.size(); ++i) {
    if (shape[i] == -1) {
      check(infer < 0, "reshape: more than one -1 in ", shape_string(shape));
      infer = static_cast<int>(i);
    } else {
      known *= shape[i];
    }
  }
  if (infer >= 0) {
    check(known > 0 && numel() % known == 0, "reshape: cannot reshape ", describe(), " to ", shape_string(shape));
    shape[static_cast<size_t>(infer)] = numel() / known;
  }
  check(shape_numel(shape) == numel(), "reshape: cannot reshape ", describe(), " to ", shape_string(shape));
  Tensor t = *this;
  t.shape_ = std::move(shape);
  return t;
}

Tensor Tensor::clone() const {
  check(device() == Device::CPU, "clone: host tensors only");
  Tensor t = empty(shape_, dtype_);
  std::memcpy(t.raw_data(), raw_data(), nbytes());
  if (absmax_) t.absmax_ = std::make_shared<Tensor>(absmax_->clone());
  t.block_size_ = block_size_;
  return t;
}

const Tensor& Tensor::absmax() const {
  check(absmax_ != nullptr, "tensor ", describe(), " has no block scales");
  return *absmax_;
}

}  // namespace fluxgen
