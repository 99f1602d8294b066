#include "io/gguf.h"

#include <algorithm>
#include <cstring>
#include <fstream>

#include "tensor/convert.h"
#include "util/error.h"

namespace fluxgen::gguf {

namespace {

constexpr uint32_t kMagic = 0x46554747;  // "GGUF" read as a little-endian uint32

// GGUF metadata value types.
enum : uint32_t {
  kU8 = 0, kI8 = 1, kU16 = 2, kI16 = 3, kU32 = 4, kI32 = 5, kF32 = 6, kBool = 7,
  kString = 8, kArray = 9, kU64 = 10, kI64 = 11, kF64 = 12,
};

const char* value_type_name(uint32_t t) {
  static const char* const names[] = {"UINT8", "INT8",   "UINT16", "INT16", "UINT32", "INT32", "FLOAT32",
                                      "BOOL",  "STRING", "ARRAY",  "UINT64", "INT64", "FLOAT64"};
  return t < 13 ? names[t] : "?";
}

// Smallest encoded size of one value of a type (to bound array counts by the bytes left).
uint64_t min_value_bytes(uint32_t t) {
  switch (t) {
    case kU8: case kI8: case kBool: return 1;
    case kU16: case kI16: return 2;
    case kU32: case kI32: case kF32: return 4;
    default: return 8;  // 64-bit scalars, strings (their length), arrays (type + count > 8)
  }
}

class Cursor {
 public:
  Cursor(const uint8_t* p, size_t size, std::string_view what) : p_(p), size_(size), what_(what) {}
  size_t pos() const { return pos_; }
  size_t left() const { return size_ - pos_; }
  template <typename T>
  T read(const char* field) {
    if (left() < sizeof(T)) fail(what_, ": truncated GGUF file: ", field, " at byte ", pos_, " runs past the end (", size_, " bytes)");
    T v;
    std::memcpy(&v, p_ + pos_, sizeof(T));
    pos_ += sizeof(T);
    return v;
  }
  std::string read_string(const char* field) {
    const uint64_t n = read<uint64_t>(field);
    if (n > kMaxStringBytes) fail(what_, ": ", field, " claims a string of ", n, " bytes (limit ", kMaxStringBytes, ")");
    if (n > left()) fail(what_, ": truncated GGUF file: ", field, " (a string of ", n, " bytes) runs past the end");
    std::string s(reinterpret_cast<const char*>(p_ + pos_), static_cast<size_t>(n));
    pos_ += static_cast<size_t>(n);
    return s;
  }
  std::string_view what() const { return what_; }

 private:
  const uint8_t* p_;
  size_t size_;
  size_t pos_ = 0;
  std::string_view what_;
};

Value read_value(Cursor& c, uint32_t type, const std::string& key, bool in_array) {
  Value v;
  v.gguf_type = type;
  switch (type) {
    case kU8: v.kind = Value::Kind::UInt; v.u = c.read<uint8_t>(key.c_str()); break;
    case kU16: v.kind = Value::Kind::UInt; v.u = c.read<uint16_t>(key.c_str()); break;
    case kU32: v.kind = Value::Kind::UInt; v.u = c.read<uint32_t>(key.c_str()); break;
    case kU64: v.kind = Value::Kind::UInt; v.u = c.read<uint64_t>(key.c_str()); break;
    case kI8: v.kind = Value::Kind::Int; v.i = c.read<int8_t>(key.c_str()); break;
    case kI16: v.kind = Value::Kind::Int; v.i = c.read<int16_t>(key.c_str()); break;
    case kI32: v.kind = Value::Kind::Int; v.i = c.read<int32_t>(key.c_str()); break;
    case kI64: v.kind = Value::Kind::Int; v.i = c.read<int64_t>(key.c_str()); break;
    case kF32: v.kind = Value::Kind::Float; v.f = c.read<float>(key.c_str()); break;
    case kF64: v.kind = Value::Kind::Float; v.f = c.read<double>(key.c_str()); break;
    case kBool: {
      const uint8_t b = c.read<uint8_t>(key.c_str());
      if (b > 1) fail(c.what(), ": metadata ", key, ": boolean byte is ", int(b), " (expected 0 or 1)");
      v.kind = Value::Kind::Bool;
      v.b = b != 0;
      break;
    }
    case kString: v.kind = Value::Kind::String; v.s = c.read_string(key.c_str()); break;
    case kArray: {
      if (in_array) fail(c.what(), ": metadata ", key, ": arrays of arrays are not supported");
      const uint32_t elem = c.read<uint32_t>(key.c_str());
      if (elem > kF64) fail(c.what(), ": metadata ", key, ": unknown array element type ", elem);
      const uint64_t n = c.read<uint64_t>(key.c_str());
      if (n > kMaxArrayElems) fail(c.what(), ": metadata ", key, ": array of ", n, " elements (limit ", kMaxArrayElems, ")");
      if (n * min_value_bytes(elem) > c.left())
        fail(c.what(), ": truncated GGUF file: metadata ", key, ": array of ", n, " ", value_type_name(elem), " runs past the end");
      v.kind = Value::Kind::Array;
      v.array = std::make_shared<Array>();
      v.array->reserve(static_cast<size_t>(n));
      for (uint64_t k = 0; k < n; ++k) v.array->push_back(read_value(c, elem, key, true));
      break;
    }
    default: fail(c.what(), ": metadata ", key, ": unknown value type ", type);
  }
  return v;
}

uint64_t align_up(uint64_t x, uint64_t a) { return (x + a - 1) / a * a; }

}  // namespace

std::string Value::to_string() const {
  switch (kind) {
    case Kind::UInt: return std::to_string(u);
    case Kind::Int: return std::to_string(i);
    case Kind::Float: return std::to_string(f);
    case Kind::Bool: return b ? "true" : "false";
    case Kind::String: return s;
    case Kind::Array: {
      std::string out = "[";
      out += std::to_string(array->size());
      out += " x ";
      out += array->empty() ? "?" : value_type_name(array->front().gguf_type);
      out += "]";
      return out;
    }
  }
  return "";
}

Shape TensorInfo::torch_shape() const {
  Shape s;
  for (auto it = ne.rbegin(); it != ne.rend(); ++it) s.push_back(static_cast<int64_t>(*it));
  return s;
}

uint64_t TensorInfo::numel() const {
  uint64_t n = 1;
  for (uint64_t d : ne) n *= d;
  return n;
}

Header parse_header(const uint8_t* bytes, size_t size, std::string_view what) {
  Cursor c(bytes, size, what);
  if (size < 4 || c.read<uint32_t>("magic") != kMagic) fail(what, ": not a GGUF file (no \"GGUF\" magic)");
  Header h;
  h.version = c.read<uint32_t>("version");
  if (h.version != 2 && h.version != 3)
    fail(what, ": GGUF version ", h.version, " is not supported (fluxgen reads versions 2 and 3; big-endian files show a byte-swapped version)");
  const uint64_t n_tensors = c.read<uint64_t>("tensor count");
  const uint64_t n_kv = c.read<uint64_t>("metadata count");
  if (n_tensors > kMaxTensors) fail(what, ": claims ", n_tensors, " tensors (limit ", kMaxTensors, ")");
  if (n_kv > kMaxMetadata) fail(what, ": claims ", n_kv, " metadata entries (limit ", kMaxMetadata, ")");

  for (uint64_t k = 0; k < n_kv; ++k) {
    std::string key = c.read_string("metadata key");
    if (key.empty()) fail(what, ": metadata entry ", k, " has an empty key");
    const uint32_t type = c.read<uint32_t>(key.c_str());
    Value v = read_value(c, type, key, false);
    if (!h.metadata.emplace(key, std::move(v)).second) fail(what, ": metadata key ", key, " appears twice");
  }
  if (auto it = h.metadata.find("general.alignment"); it != h.metadata.end()) {
    const Value& a = it->second;
    if (a.gguf_type != kU32) fail(what, ": general.alignment must be a UINT32, not ", value_type_name(a.gguf_type));
    if (a.u == 0 || (a.u & (a.u - 1)) != 0) fail(what, ": general.alignment ", a.u, " is not a power of two");
    h.alignment = a.u;
  }

  std::map<std::string, size_t> seen;
  h.tensors.reserve(static_cast<size_t>(std::min<uint64_t>(n_tensors, c.left() / 24)));
  for (uint64_t k = 0; k < n_tensors; ++k) {
    TensorInfo t;
    t.name = c.read_string("tensor name");
    if (t.name.empty()) fail(what, ": tensor ", k, " has an empty name");
    const uint32_t n_dims = c.read<uint32_t>(t.name.c_str());
    if (n_dims == 0 || n_dims > kMaxDims) fail(what, ": tensor ", t.name, ": ", n_dims, " dimensions (expected 1 to ", kMaxDims, ")");
    uint64_t numel = 1;
    for (uint32_t d = 0; d < n_dims; ++d) {
      const uint64_t n = c.read<uint64_t>(t.name.c_str());
      if (n == 0 || n > (uint64_t{1} << 40)) fail(what, ": tensor ", t.name, ": dimension ", d, " is ", static_cast<int64_t>(n));
      if (numel > (uint64_t{1} << 50) / n) fail(what, ": tensor ", t.name, ": element count overflows");
      numel *= n;
      t.ne.push_back(n);
    }
    const uint32_t type_id = c.read<uint32_t>(t.name.c_str());
    auto info = ggml_type_info(type_id);
    if (!info) fail(what, ": tensor ", t.name, ": ggml type ", type_id, " is not supported");
    t.type = info->type;
    if (t.ne[0] % static_cast<uint64_t>(info->block_elems) != 0)
      fail(what, ": tensor ", t.name, ": rows of ", t.ne[0], " elements are not whole ", info->name, " blocks of ", info->block_elems);
    t.bytes = ggml_bytes(t.type, numel);
    t.offset = c.read<uint64_t>(t.name.c_str());
    if (t.offset % h.alignment != 0) fail(what, ": tensor ", t.name, ": offset ", t.offset, " is not a multiple of the alignment ", h.alignment);
    if (!seen.emplace(t.name, h.tensors.size()).second) fail(what, ": tensor ", t.name, " appears twice");
    h.tensors.push_back(std::move(t));
  }

  h.data_offset = align_up(c.pos(), h.alignment);
  if (h.data_offset > size) fail(what, ": truncated GGUF file: the data section would start at byte ", h.data_offset, " of ", size);
  const uint64_t data_size = size - h.data_offset;
  for (const auto& t : h.tensors)
    if (t.offset > data_size || t.bytes > data_size - t.offset)
      fail(what, ": truncated GGUF file: tensor ", t.name, " (", ggml_type_info(t.type).name, ", ", t.bytes,
           " bytes at data offset ", t.offset, ") runs past the end of the ", data_size, "-byte data section");
  std::vector<const TensorInfo*> by_offset;
  for (const auto& t : h.tensors) by_offset.push_back(&t);
  std::sort(by_offset.begin(), by_offset.end(), [](auto* a, auto* b) { return a->offset < b->offset; });
  for (size_t k = 1; k < by_offset.size(); ++k)
    if (by_offset[k - 1]->offset + by_offset[k - 1]->bytes > by_offset[k]->offset)
      fail(what, ": tensors ", by_offset[k - 1]->name, " and ", by_offset[k]->name, " overlap in the data section");
  return h;
}

std::shared_ptr<const GgufFile> GgufFile::open(const std::string& path) {
  auto f = std::shared_ptr<GgufFile>(new GgufFile());
  f->file_ = MappedFile::open(path);
  f->header_ = parse_header(f->file_->data(), f->file_->size(), path);
  for (size_t k = 0; k < f->header_.tensors.size(); ++k) f->index_.emplace(f->header_.tensors[k].name, k);
  return f;
}

const TensorInfo* GgufFile::find(std::string_view name) const {
  auto it = index_.find(name);
  return it == index_.end() ? nullptr : &header_.tensors[it->second];
}

std::string GgufFile::metadata_string(const std::string& key) const {
  auto it = header_.metadata.find(key);
  return it != header_.metadata.end() && it->second.kind == Value::Kind::String ? it->second.s : "";
}

Tensor GgufFile::get_f32(const TensorInfo& t) const {
  Tensor out = Tensor::empty(t.torch_shape());
  const int64_t nblocks = static_cast<int64_t>(t.numel() / static_cast<uint64_t>(ggml_type_info(t.type).block_elems));
  dequantize_blocks(t.type, data(t), nblocks, out.f32());
  return out;
}

Tensor GgufFile::get_plain(const TensorInfo& t) const {
  DType d;
  switch (t.type) {
    case GgmlType::F32: d = DType::F32; break;
    case GgmlType::F16: d = DType::F16; break;
    case GgmlType::BF16: d = DType::BF16; break;
    case GgmlType::F64: d = DType::F64; break;
    case GgmlType::I8: d = DType::I8; break;
    case GgmlType::I16: d = DType::I16; break;
    case GgmlType::I32: d = DType::I32; break;
    case GgmlType::I64: d = DType::I64; break;
    default: return Tensor();
  }
  return Tensor::wrap(t.torch_shape(), d, data(t), static_cast<size_t>(t.bytes), file_);
}

bool is_gguf_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  char magic[4] = {};
  return in.read(magic, 4) && std::memcmp(magic, "GGUF", 4) == 0;
}

}  // namespace fluxgen::gguf
