#include "io/safetensors.h"

#include <algorithm>
#include <cstring>

#include "io/json.h"
#include "tensor/convert.h"
#include "util/error.h"
#include "util/strings.h"

namespace fluxgen {

namespace {

uint64_t read_le64(const uint8_t* p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}

TensorEntry parse_entry(const std::string& name, const json::Value& v, uint64_t data_size, std::string_view what) {
  auto bad = [&](auto&&... parts) { fail(what, ": tensor ", name, ": ", parts...); };
  if (!v.is_object()) bad("header entry is not an object");
  TensorEntry e;
  e.name = name;
  const json::Value* dtype = v.find("dtype");
  if (!dtype || !dtype->is_string()) bad("missing or non-string \"dtype\"");
  auto dt = dtype_from_name(dtype->as_string());
  if (!dt || dtype_is_quantized_block(*dt)) bad("unknown dtype \"", dtype->as_string(), "\"");
  e.dtype = *dt;
  const json::Value* shape = v.find("shape");
  if (!shape || !shape->is_array()) bad("missing or non-array \"shape\"");
  if (shape->size() > 16) bad("shape has ", shape->size(), " dimensions");
  uint64_t numel = 1;
  for (const auto& d : shape->as_array()) {
    if (!d.is_integer() || d.as_int() < 0) bad("shape entries must be non-negative integers");
    const uint64_t dim = static_cast<uint64_t>(d.as_int());
    if (__builtin_mul_overflow(numel, dim, &numel)) bad("shape ", shape->dump(), " overflows");
    e.shape.push_back(d.as_int());
  }
  const json::Value* offs = v.find("data_offsets");
  if (!offs || !offs->is_array() || offs->size() != 2 || !offs->at(0).is_integer() || !offs->at(1).is_integer())
    bad("\"data_offsets\" must be two integers");
  const int64_t b = offs->at(0).as_int(), en = offs->at(1).as_int();
  if (b < 0 || en < b) bad("data_offsets [", b, ", ", en, "] are not an increasing pair");
  e.begin = static_cast<uint64_t>(b);
  e.end = static_cast<uint64_t>(en);
  if (e.end > data_size)
    bad("data_offsets [", e.begin, ", ", e.end, "] run past the end of the data (", data_size,
        " bytes; is the file truncated?)");
  uint64_t expected = 0;
  if (__builtin_mul_overflow(numel, static_cast<uint64_t>(dtype_bits(e.dtype) / 8), &expected))
    bad("shape ", shape->dump(), " overflows");
  if (e.bytes() != expected)
    bad("holds ", e.bytes(), " bytes but ", dtype->as_string(), shape_string(e.shape), " needs ", expected);
  return e;
}

}  // namespace

SafetensorsHeader parse_safetensors_header(const uint8_t* bytes, size_t size, std::string_view what) {
  if (size < 8) fail(what, ": ", size, " bytes is too short for a safetensors file (no header length)");
  const uint64_t header_len = read_le64(bytes);
  if (header_len > kMaxSafetensorsHeader)
    fail(what, ": header length ", header_len, " is absurd (over ", kMaxSafetensorsHeader,
         " bytes): not a safetensors file or corrupt");
  if (header_len > size - 8)
    fail(what, ": header length ", header_len, " runs past the end of the file (", size,
         " bytes): truncated or not a safetensors file");
  if (header_len < 2) fail(what, ": header of ", header_len, " bytes cannot hold a JSON object");
  const std::string_view text(reinterpret_cast<const char*>(bytes + 8), header_len);
  json::Value header;
  try {
    header = json::parse(text, "header", json::ParseLimits{16, kMaxSafetensorsHeader});
  } catch (const Error& e) {
    fail(what, ": invalid safetensors header: ", e.what());
  }
  if (!header.is_object()) fail(what, ": safetensors header is not a JSON object");

  SafetensorsHeader out;
  out.data_offset = 8 + header_len;
  const uint64_t data_size = size - out.data_offset;
  for (const auto& [name, value] : header.as_object()) {
    if (name == "__metadata__") {
      if (!value.is_object()) fail(what, ": __metadata__ is not an object");
      for (const auto& [k, mv] : value.as_object()) {
        if (!mv.is_string()) fail(what, ": __metadata__ value for \"", k, "\" is not a string");
        out.metadata[k] = mv.as_string();
      }
      continue;
    }
    out.tensors.push_back(parse_entry(name, value, data_size, what));
  }
  std::sort(out.tensors.begin(), out.tensors.end(), [](const TensorEntry& a, const TensorEntry& b) { return a.name < b.name; });
  for (size_t i = 1; i < out.tensors.size(); ++i)
    if (out.tensors[i].name == out.tensors[i - 1].name) fail(what, ": tensor ", out.tensors[i].name, " appears twice");

  // No two tensors may share bytes (empty tensors occupy none).
  std::vector<const TensorEntry*> by_offset;
  for (const auto& t : out.tensors)
    if (t.bytes() > 0) by_offset.push_back(&t);
  std::sort(by_offset.begin(), by_offset.end(), [](const TensorEntry* a, const TensorEntry* b) { return a->begin < b->begin; });
  for (size_t i = 1; i < by_offset.size(); ++i)
    if (by_offset[i]->begin < by_offset[i - 1]->end)
      fail(what, ": tensors ", by_offset[i - 1]->name, " and ", by_offset[i]->name, " overlap (bytes ",
           by_offset[i]->begin, "..", by_offset[i - 1]->end, ")");
  return out;
}

std::shared_ptr<const SafetensorsFile> SafetensorsFile::open(const std::string& path) {
  auto f = std::shared_ptr<SafetensorsFile>(new SafetensorsFile());
  f->file_ = MappedFile::open(path);
  f->header_ = parse_safetensors_header(f->file_->data(), f->file_->size(), path);
  return f;
}

const TensorEntry* SafetensorsFile::find(std::string_view name) const {
  auto it = std::lower_bound(header_.tensors.begin(), header_.tensors.end(), name,
                             [](const TensorEntry& e, std::string_view n) { return e.name < n; });
  return it != header_.tensors.end() && it->name == name ? &*it : nullptr;
}

Tensor SafetensorsFile::get(std::string_view name) const {
  const TensorEntry* e = find(name);
  if (!e) fail(path(), ": tensor ", name, " is missing");
  const uint8_t* p = file_->data() + header_.data_offset + e->begin;
  // The format does not align tensor data (a U8 tensor or an odd header length shifts the rest);
  // reading a misaligned float through a typed pointer is undefined, so such a tensor is copied.
  const size_t align = std::min<size_t>(8, std::max(1, dtype_bits(e->dtype) / 8));
  if (reinterpret_cast<uintptr_t>(p) % align != 0) {
    Tensor copy = Tensor::empty(e->shape, e->dtype);
    if (e->bytes()) std::memcpy(copy.raw_data(), p, e->bytes());
    return copy;
  }
  return Tensor::wrap(e->shape, e->dtype, p, e->bytes(), file_);
}

Tensor SafetensorsFile::get_f32(std::string_view name) const { return to_f32(get(name)); }

void SafetensorsFile::release_pages(std::string_view name) const {
  if (const TensorEntry* e = find(name)) file_->release_pages(header_.data_offset + e->begin, e->bytes());
}

std::string SafetensorsFile::metadata_value(const std::string& key) const {
  auto it = header_.metadata.find(key);
  return it == header_.metadata.end() ? std::string() : it->second;
}

void write_safetensors(const std::string& path, const std::vector<TensorSpec>& specs,
                       const std::function<Tensor(size_t index)>& produce,
                       const std::map<std::string, std::string>& metadata) {
  json::Value header = json::Value::object();
  if (!metadata.empty()) {
    json::Value meta = json::Value::object();
    for (const auto& [k, v] : metadata) meta[k] = v;
    header["__metadata__"] = meta;
  }
  uint64_t offset = 0;
  for (const auto& spec : specs) {
    check(!dtype_is_quantized_block(spec.dtype), path, ": cannot write ", spec.name, ": ", dtype_name(spec.dtype),
          " has no safetensors dtype");
    check(!header.contains(spec.name) && spec.name != "__metadata__", path, ": duplicate tensor name ", spec.name);
    const uint64_t bytes = dtype_storage_bytes(spec.dtype, shape_numel(spec.shape));
    json::Value entry = json::Value::object();
    entry["dtype"] = std::string(dtype_name(spec.dtype));
    json::Value shape = json::Value::array();
    for (int64_t d : spec.shape) shape.push_back(d);
    entry["shape"] = shape;
    json::Value offs = json::Value::array();
    offs.push_back(offset);
    offs.push_back(offset + bytes);
    entry["data_offsets"] = offs;
    header[spec.name] = entry;
    offset += bytes;
  }
  std::string text = header.dump();
  text.append((8 - text.size() % 8) % 8, ' ');  // keep the data 8-byte aligned
  uint8_t len[8];
  for (int i = 0; i < 8; ++i) len[i] = static_cast<uint8_t>(static_cast<uint64_t>(text.size()) >> (8 * i));
  AtomicFileWriter out(path);
  out.write(len, 8);
  out.write(text.data(), text.size());
  for (size_t i = 0; i < specs.size(); ++i) {
    const Tensor t = produce(i);
    const TensorSpec& spec = specs[i];
    check(t.defined() && t.device() == Device::CPU, path, ": cannot write ", spec.name, ": not a host tensor");
    check(t.dtype() == spec.dtype && t.shape() == spec.shape, path, ": cannot write ", spec.name, ": it is ",
          t.describe(), ", the header says ", dtype_name(spec.dtype), " ", shape_string(spec.shape));
    out.write(t.raw_data(), t.nbytes());
  }
  out.commit();
}

void write_safetensors(const std::string& path, const std::vector<std::pair<std::string, Tensor>>& tensors,
                       const std::map<std::string, std::string>& metadata) {
  std::vector<TensorSpec> specs;
  for (const auto& [name, t] : tensors) {
    check(t.defined(), path, ": cannot write ", name, ": undefined tensor");
    specs.push_back({name, t.dtype(), t.shape()});
  }
  write_safetensors(path, specs, [&tensors](size_t i) { return tensors[i].second; }, metadata);
}

}  // namespace fluxgen
