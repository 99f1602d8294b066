// What torch's own objects in a checkpoint pickle mean, as data: storages (persistent ids naming
// raw byte blobs) and tensors (a storage, an offset, sizes and strides). TorchHost is the pickle
// Host for torch.save files: it decides which globals may be referenced and which callables may be
// "called" — only an allowlist of pure data constructors, each reimplemented here; everything else
// is refused by name. Classes it does not know become inert objects (a pickled nn.Module tree).
#pragma once
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "io/torch_pickle/pickle_machine.h"
#include "tensor/dtype.h"
#include "tensor/tensor.h"

namespace fluxgen::torch_pickle {

struct StorageRecord {
  std::string key;          // zip: data/<key>; legacy: the root key of the raw storage
  DType dtype = DType::U8;  // element type of the storage (U8 for untyped storages)
  int64_t numel = 0;        // elements of the root storage, as the persistent id declares
  int64_t view_offset = 0;  // legacy storage views: first element inside the root storage
  int64_t view_numel = -1;  // legacy storage views: element count; -1 = the whole storage
  int64_t usable_numel() const { return view_numel >= 0 ? view_numel : numel; }
};

struct TensorRecord {
  size_t storage = 0;
  DType dtype = DType::F32;
  int64_t offset = 0;  // in elements of `dtype`, from the start of the storage (view)
  Shape shape;
  std::vector<int64_t> stride;
};

struct TorchObjects {
  std::vector<StorageRecord> storages;
  std::vector<TensorRecord> tensors;
  std::map<std::string, size_t> storage_index;  // storage identity -> position in `storages`
};

// Bytes per element of the dtypes torch storages hold.
int64_t element_bytes(DType t);

// The element count of `record` measured in elements of `dtype` (untyped storages hold bytes).
int64_t storage_elements(const StorageRecord& record, DType dtype);

class TorchHost final : public Host {
 public:
  explicit TorchHost(TorchObjects& objects) : objects_(objects) {}
  Value* global(Arena& arena, const std::string& module, const std::string& name) override;
  Value* call(Arena& arena, Value* callable, Value* args) override;
  Value* instantiate(Arena& arena, Value* cls, Value* args, Value* kwargs) override;
  Value* persistent_load(Arena& arena, Value* pid) override;

 private:
  Value* rebuild_tensor(Arena& arena, const std::string& fn, Value* args);
  TorchObjects& objects_;
  int nested_calls_ = 0;  // _rebuild_from_type_v2 wrapping another rebuild
};

}  // namespace fluxgen::torch_pickle
