// Tensor: a shape, an element type and a shared, contiguous buffer. fluxgen keeps every tensor
// contiguous (row-major); reshape shares the buffer, every other view is an explicit copy made by
// an op. A weight loaded from a file is a Tensor too, in its storage dtype, its bytes zero-copy in
// the mapped file; NF4/FP4 tensors carry their per-block absmax beside the packed codes.
#pragma once
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "tensor/dtype.h"

namespace fluxgen {

using Shape = std::vector<int64_t>;
int64_t shape_numel(const Shape& shape);

enum class Device : uint8_t { CPU, CUDA };

// Bytes somewhere: owned heap memory, a region of a mapped file, or device memory. `release`
// frees it (or drops the file mapping's reference) when the last tensor using it goes away.
struct Storage {
  void* data = nullptr;
  size_t bytes = 0;
  Device device = Device::CPU;
  std::function<void()> release;
  Storage() = default;
  Storage(const Storage&) = delete;
  Storage& operator=(const Storage&) = delete;
  ~Storage() {
    if (release) release();
  }
};

class Tensor {
 public:
  Tensor() = default;

  // Host tensors, uninitialised / zero / filled.
  static Tensor empty(Shape shape, DType dtype = DType::F32, Device device = Device::CPU);
  static Tensor zeros(Shape shape, DType dtype = DType::F32);
  static Tensor full(Shape shape, float value);
  static Tensor from_vector(Shape shape, const std::vector<float>& values);
  // Zero-copy view of external memory kept alive by `owner` (a mapped file).
  static Tensor wrap(Shape shape, DType dtype, const void* data, size_t bytes, std::shared_ptr<const void> owner);
  // A block-quantized tensor: `packed` (U8, numel/2 bytes) + `absmax` (F32, one per block).
  static Tensor quantized(Shape shape, DType format, Tensor packed, Tensor absmax, int block_size);
  // Device tensors come from the backend that owns the device.
  static Tensor from_storage(Shape shape, DType dtype, std::shared_ptr<Storage> storage, size_t offset = 0);

  bool defined() const { return storage_ != nullptr; }
  const Shape& shape() const { return shape_; }
  int ndim() const { return static_cast<int>(shape_.size()); }
  // Negative indices count from the end, as in PyTorch.
  int64_t dim(int i) const;
  int64_t numel() const { return shape_numel(shape_); }
  DType dtype() const { return dtype_; }
  Device device() const;
  size_t nbytes() const { return dtype_storage_bytes(dtype_, numel()); }
  // Bytes the tensor holds in memory: its data plus the absmax of block-quantized dtypes.
  size_t held_bytes() const { return nbytes() + (absmax_ ? absmax_->nbytes() : 0); }
  std::string describe() const;  // "F32[1, 24, 64]"

  void* raw_data();
  const void* raw_data() const;
  template <typename T>
  T* data() {
    return static_cast<T*>(raw_data());
  }
  template <typename T>
  const T* data() const {
    return static_cast<const T*>(raw_data());
  }
  // The fp32 elements of a host F32 tensor (checked).
  float* f32();
  const float* f32() const;

  // Same buffer, new shape (one -1 is inferred).
  Tensor reshape(Shape shape) const;
  // A deep copy on the host.
  Tensor clone() const;

  // NF4/FP4 only.
  const Tensor& absmax() const;
  int block_size() const { return block_size_; }

  const std::shared_ptr<Storage>& storage() const { return storage_; }
  size_t storage_offset() const { return offset_; }

 private:
  Shape shape_;
  DType dtype_ = DType::F32;
  std::shared_ptr<Storage> storage_;
  size_t offset_ = 0;
  // Block-quantized formats only.
  std::shared_ptr<Tensor> absmax_;
  int block_size_ = 0;
};

}  // namespace fluxgen
