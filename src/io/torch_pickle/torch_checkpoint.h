// A torch.save file read as data: the unpickled object tree (dicts, inert module objects ...)
// plus the tensors it references, materialized on demand from the file's bytes. Both formats
// torch.save has written are read: the zip archive (PyTorch >= 1.6: <name>/data.pkl,
// <name>/data/<key>, <name>/byteorder) and the legacy stream (magic number, protocol version,
// sys_info, the object pickle, the storage keys, then the raw storages).
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "io/torch_pickle/pickle_value.h"
#include "io/torch_pickle/torch_objects.h"
#include "tensor/tensor.h"

namespace fluxgen::torch_pickle {

// Where one storage's bytes live: in the mapped file (zero-copy) or in an inflated buffer.
struct StorageBytes {
  const uint8_t* data = nullptr;
  size_t size = 0;
  std::shared_ptr<const void> owner;
};

// Everything a format reader produces.
struct CheckpointContents {
  std::unique_ptr<Arena> arena;
  Value* root = nullptr;
  TorchObjects objects;
  std::vector<StorageBytes> storage_bytes;  // parallel to objects.storages
  bool big_endian = false;
};

class TorchCheckpoint {
 public:
  // Maps and reads a file. Throws fluxgen::Error naming the file and the problem.
  static std::shared_ptr<const TorchCheckpoint> open(const std::string& path, const Limits& limits = {});
  // Reads bytes already in memory, kept alive by `owner`; `what` names them in messages.
  static std::shared_ptr<const TorchCheckpoint> parse(std::shared_ptr<const void> owner, const uint8_t* data,
                                                      size_t size, const std::string& what,
                                                      const Limits& limits = {});

  const Value* root() const { return contents_.root; }
  const TorchObjects& objects() const { return contents_.objects; }
  const Limits& limits() const { return contents_.arena->limits(); }
  size_t object_count() const { return contents_.arena->size(); }
  const std::string& source() const { return source_; }
  // Tensor `index` as a contiguous fluxgen tensor: zero-copy when the stored layout already is
  // (contiguous, aligned, little-endian), otherwise gathered into a new buffer.
  Tensor materialize(size_t index) const;

 private:
  TorchCheckpoint() = default;
  std::string source_;
  CheckpointContents contents_;
};

// The two format readers (zip_format.cpp, legacy_format.cpp), filling `out` (arena already made).
void read_zip_format(const uint8_t* data, size_t size, const std::shared_ptr<const void>& owner,
                     const std::string& what, CheckpointContents& out);
void read_legacy_format(const uint8_t* data, size_t size, const std::shared_ptr<const void>& owner,
                        const std::string& what, CheckpointContents& out);

}  // namespace fluxgen::torch_pickle
