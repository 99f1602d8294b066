// GGUF (llama.cpp / ggml's model file, versions 2 and 3, little-endian): a magic "GGUF", a
// version, the tensor and metadata counts, typed metadata key/values, tensor infos (name, dims in
// ggml order with ne[0] the fastest, ggml type, offset into the data section), padding to
// general.alignment (default 32), then the tensor data. The parser validates every count, length,
// type, offset and size a hostile or truncated file could lie about; the file is mapped and
// tensors are zero-copy views of their raw blocks.
#pragma once
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "io/mapped_file.h"
#include "tensor/gguf_blocks.h"
#include "tensor/tensor.h"

namespace fluxgen::gguf {

// A metadata value: integers widened to 64 bits (signedness kept), floats to double, arrays as
// vectors of values.
struct Value;
using Array = std::vector<Value>;
struct Value {
  enum class Kind : uint8_t { UInt, Int, Float, Bool, String, Array };
  Kind kind = Kind::UInt;
  uint32_t gguf_type = 0;  // the type id the file used (GGUF_TYPE_UINT8 = 0 ...)
  uint64_t u = 0;
  int64_t i = 0;
  double f = 0;
  bool b = false;
  std::string s;
  std::shared_ptr<Array> array;
  // A readable rendering for `fluxgen info` ("[12 x UINT32]" for arrays).
  std::string to_string() const;
};

struct TensorInfo {
  std::string name;
  GgmlType type = GgmlType::F32;
  std::vector<uint64_t> ne;  // ggml order: ne[0] is the innermost dimension
  uint64_t offset = 0;       // relative to the data section
  uint64_t bytes = 0;
  // The PyTorch shape (ne reversed).
  Shape torch_shape() const;
  uint64_t numel() const;
};

struct Header {
  uint32_t version = 0;
  uint64_t alignment = 32;
  std::map<std::string, Value> metadata;
  std::vector<TensorInfo> tensors;  // in file order
  uint64_t data_offset = 0;         // absolute file offset of the data section
};

// Limits beyond which a file is refused as absurd (real files stay far below them).
constexpr uint64_t kMaxTensors = 1u << 20;
constexpr uint64_t kMaxMetadata = 1u << 20;
constexpr uint64_t kMaxStringBytes = 1u << 26;
constexpr uint64_t kMaxArrayElems = 1u << 26;
constexpr uint32_t kMaxDims = 4;  // GGML_MAX_DIMS

// Parses `size` bytes of a whole GGUF file. `what` names the file in error messages.
Header parse_header(const uint8_t* bytes, size_t size, std::string_view what);

class GgufFile {
 public:
  static std::shared_ptr<const GgufFile> open(const std::string& path);
  const std::string& path() const { return file_->path(); }
  const Header& header() const { return header_; }
  const TensorInfo* find(std::string_view name) const;
  // The tensor's raw bytes (blocks) in the mapping.
  const uint8_t* data(const TensorInfo& t) const { return file_->data() + header_.data_offset + t.offset; }
  // A metadata string, "" when absent or not a string.
  std::string metadata_string(const std::string& key) const;
  // The whole tensor decoded to a host F32 tensor in its torch shape.
  Tensor get_f32(const TensorInfo& t) const;
  // Zero-copy view when the type is F32/F16/BF16/F64/I* (fluxgen's own dtypes); nullopt-like
  // undefined Tensor for block-quantized types.
  Tensor get_plain(const TensorInfo& t) const;
  const std::shared_ptr<const MappedFile>& mapping() const { return file_; }

 private:
  std::shared_ptr<const MappedFile> file_;
  Header header_;
  std::map<std::string, size_t, std::less<>> index_;
};

// True when the file starts with the GGUF magic (cheap: reads 4 bytes).
bool is_gguf_file(const std::string& path);

}  // namespace fluxgen::gguf
