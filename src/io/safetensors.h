// safetensors: an 8-byte little-endian header length, a JSON header mapping tensor names to
// {dtype, shape, data_offsets}, then the raw bytes. The reader maps the file and hands out
// zero-copy tensors; it validates everything a hostile or truncated file could get wrong.
#pragma once
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "io/mapped_file.h"
#include "tensor/tensor.h"

namespace fluxgen {

struct TensorEntry {
  std::string name;
  DType dtype;
  Shape shape;
  uint64_t begin = 0;  // byte offsets relative to the start of the data section
  uint64_t end = 0;
  uint64_t bytes() const { return end - begin; }
};

struct SafetensorsHeader {
  std::vector<TensorEntry> tensors;  // sorted by name
  std::map<std::string, std::string> metadata;
  uint64_t data_offset = 0;  // absolute file offset of the data section
};

// Header larger than this is refused as absurd (real checkpoints have headers under 1 MiB).
constexpr uint64_t kMaxSafetensorsHeader = 100ull << 20;

// Parses and validates the header of a file of `size` bytes whose first bytes are `bytes` (at
// least min(size, 8 + header length) of them). `what` names the file in error messages.
SafetensorsHeader parse_safetensors_header(const uint8_t* bytes, size_t size, std::string_view what);

class SafetensorsFile {
 public:
  static std::shared_ptr<const SafetensorsFile> open(const std::string& path);

  const std::string& path() const { return file_->path(); }
  uint64_t file_size() const { return file_->size(); }
  const std::vector<TensorEntry>& entries() const { return header_.tensors; }
  const std::map<std::string, std::string>& metadata() const { return header_.metadata; }
  // nullptr when absent.
  const TensorEntry* find(std::string_view name) const;
  bool contains(std::string_view name) const { return find(name) != nullptr; }
  // Zero-copy view of the tensor's bytes; throws naming the file and tensor when absent.
  Tensor get(std::string_view name) const;
  // A tensor converted to host F32 (test and eval inputs); an error naming the file when absent.
  Tensor get_f32(std::string_view name) const;
  // Metadata value or "" when absent.
  std::string metadata_value(const std::string& key) const;
  // Releases the mapped pages of the tensor's bytes (MappedFile::release_pages).
  void release_pages(std::string_view name) const;

 private:
  std::shared_ptr<const MappedFile> file_;
  SafetensorsHeader header_;
};

// Writes tensors (host, any dtype but NF4/FP4) in the given order, atomically.
void write_safetensors(const std::string& path, const std::vector<std::pair<std::string, Tensor>>& tensors,
                       const std::map<std::string, std::string>& metadata = {});

struct TensorSpec {
  std::string name;
  DType dtype;
  Shape shape;
};
// The same for tensors made one at a time: `produce(i)` gives specs[i] (a host tensor of that dtype
// and shape) when its turn comes, so writing a 24 GB model holds one tensor in memory, not all.
void write_safetensors(const std::string& path, const std::vector<TensorSpec>& specs,
                       const std::function<Tensor(size_t index)>& produce,
                       const std::map<std::string, std::string>& metadata = {});

}  // namespace fluxgen
