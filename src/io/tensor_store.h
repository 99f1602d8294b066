// Named tensors from wherever they live: one safetensors file, a diffusers folder of shards, a
// torch pickle read as data, or tensors built in memory. Models read their weights through a
// scoped Weights view (nn/weights.h) over a store, so every file format loads every model.
#pragma once
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "tensor/tensor.h"

namespace fluxgen {

class TensorStore {
 public:
  virtual ~TensorStore() = default;
  // Every tensor name, sorted.
  virtual std::vector<std::string> names() const = 0;
  virtual bool contains(const std::string& name) const = 0;
  // The tensor in its stored dtype, zero-copy where the format allows. Throws naming the source
  // and the tensor when absent.
  virtual Tensor get(const std::string& name) const = 0;
  // Shape and dtype without touching the data (instant on huge files).
  virtual Shape shape(const std::string& name) const = 0;
  virtual DType dtype(const std::string& name) const = 0;
  // A file path or folder for messages.
  virtual std::string source() const = 0;
  // Metadata value (safetensors __metadata__), "" when absent.
  virtual std::string metadata(const std::string& key) const { (void)key; return ""; }
  // Total bytes of tensor data.
  virtual uint64_t data_bytes() const;

  // A layer's weight as a model holds it: converted to `dtype` when given (saturating, NF4/FP4 in
  // blocks of `block_size`). Once converted, the source's file pages are released, so a load that
  // converts keeps one copy of the weights, not two. Placing stores (pipeline/placement) also
  // decide here where the weight lives.
  virtual Tensor get_layer_weight(const std::string& name, std::optional<DType> dtype, int block_size) const;
  // Drops the file pages behind `name` from this process's memory (they are read again from the
  // file if touched later); nothing for tensors that are not file-backed.
  virtual void release_pages(const std::string& name) const { (void)name; }
  // Where get() hands its tensors out: the CPU, unless the store places them on a device.
  virtual Device device() const { return Device::CPU; }
};

// Wraps a model's store so that its weights live where the models run (pipeline/placement
// decides; models only call it). Empty: the store as it is, on the host.
using StorePlacement = std::function<std::shared_ptr<const TensorStore>(std::shared_ptr<const TensorStore>)>;
// `store` through `placement`, or as it is when there is none.
std::shared_ptr<const TensorStore> place(const StorePlacement& placement, std::shared_ptr<const TensorStore> store);

// Tensors held in memory (pickled checkpoints, tests, converted models).
class MemoryStore final : public TensorStore {
 public:
  explicit MemoryStore(std::string source, std::map<std::string, Tensor> tensors = {},
                       std::map<std::string, std::string> metadata = {});
  void put(const std::string& name, Tensor t);
  std::vector<std::string> names() const override;
  bool contains(const std::string& name) const override;
  Tensor get(const std::string& name) const override;
  Shape shape(const std::string& name) const override;
  DType dtype(const std::string& name) const override;
  std::string source() const override { return source_; }
  std::string metadata(const std::string& key) const override;

 private:
  std::string source_;
  std::map<std::string, Tensor> tensors_;
  std::map<std::string, std::string> metadata_;
};

// Prefixes p ("" or ending in '.') such that p + anchor is one of the names, in name order: where
// a model sits inside an all-in-one checkpoint ("text_encoders.clip_l.transformer." ...).
std::vector<std::string> key_prefixes(const std::vector<std::string>& names, std::string_view anchor);
std::vector<std::string> key_prefixes(const TensorStore& store, std::string_view anchor);

// One or several safetensors files seen as one store (a diffusers folder's shards).
std::shared_ptr<TensorStore> open_safetensors_store(const std::vector<std::string>& paths, std::string source);

// Opens any supported weight file or folder by its name: .safetensors, a folder holding
// .safetensors shards (diffusers), torch pickles (.pt/.pth/.ckpt/.bin) read as data.
std::shared_ptr<TensorStore> open_tensor_store(const std::string& path);

}  // namespace fluxgen
