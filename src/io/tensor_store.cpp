#include "io/tensor_store.h"

#include "tensor/convert.h"

#include <algorithm>
#include <filesystem>

#include "io/bnb_prequantized_store.h"
#include "io/safetensors.h"
#include "io/torch_pickle/torch_store.h"
#include "util/error.h"
#include "util/map_keys.h"
#include "util/strings.h"

namespace fluxgen {

uint64_t TensorStore::data_bytes() const {
  uint64_t total = 0;
  for (const auto& n : names()) total += dtype_storage_bytes(dtype(n), shape_numel(shape(n)));
  return total;
}

std::vector<std::string> key_prefixes(const std::vector<std::string>& names, std::string_view anchor) {
  std::vector<std::string> out;
  for (const auto& n : names) {
    if (!ends_with(n, anchor)) continue;
    std::string p = n.substr(0, n.size() - anchor.size());
    if (p.empty() || p.back() == '.') out.push_back(std::move(p));
  }
  return out;
}

std::vector<std::string> key_prefixes(const TensorStore& store, std::string_view anchor) {
  return key_prefixes(store.names(), anchor);
}

MemoryStore::MemoryStore(std::string source, std::map<std::string, Tensor> tensors,
                         std::map<std::string, std::string> metadata)
    : source_(std::move(source)), tensors_(std::move(tensors)), metadata_(std::move(metadata)) {}

void MemoryStore::put(const std::string& name, Tensor t) { tensors_[name] = std::move(t); }

std::vector<std::string> MemoryStore::names() const {
  std::vector<std::string> out;
  out.reserve(tensors_.size());
  for (const auto& [k, v] : tensors_) out.push_back(k);
  return out;
}

bool MemoryStore::contains(const std::string& name) const { return tensors_.count(name) > 0; }

Tensor MemoryStore::get(const std::string& name) const {
  auto it = tensors_.find(name);
  if (it == tensors_.end()) fail(source_, ": tensor ", name, " is missing");
  return it->second;
}

Shape MemoryStore::shape(const std::string& name) const { return get(name).shape(); }
DType MemoryStore::dtype(const std::string& name) const { return get(name).dtype(); }

std::string MemoryStore::metadata(const std::string& key) const {
  auto it = metadata_.find(key);
  return it == metadata_.end() ? "" : it->second;
}

Tensor TensorStore::get_layer_weight(const std::string& name, std::optional<DType> dtype, int block_size) const {
  Tensor t = get(name);
  if (!dtype || t.dtype() == *dtype) return t;
  Tensor converted = convert(t, *dtype, Overflow::Saturate, block_size);
  t = Tensor();
  release_pages(name);
  return converted;
}

namespace {

class SafetensorsStore final : public TensorStore {
 public:
  SafetensorsStore(const std::vector<std::string>& paths, std::string source) : source_(std::move(source)) {
    for (const auto& p : paths) {
      files_.push_back(SafetensorsFile::open(p));
      for (const auto& e : files_.back()->entries()) {
        auto [it, inserted] = index_.emplace(e.name, files_.size() - 1);
        if (!inserted)
          fail(source_, ": tensor ", e.name, " is in both ", files_[it->second]->path(), " and ", p);
      }
    }
  }
  std::vector<std::string> names() const override { return map_keys(index_); }
  bool contains(const std::string& name) const override { return index_.count(name) > 0; }
  Tensor get(const std::string& name) const override { return file_of(name).get(name); }
  void release_pages(const std::string& name) const override { file_of(name).release_pages(name); }
  Shape shape(const std::string& name) const override { return file_of(name).find(name)->shape; }
  DType dtype(const std::string& name) const override { return file_of(name).find(name)->dtype; }
  std::string source() const override { return source_; }
  std::string metadata(const std::string& key) const override {
    for (const auto& f : files_) {
      std::string v = f->metadata_value(key);
      if (!v.empty()) return v;
    }
    return "";
  }

 private:
  const SafetensorsFile& file_of(const std::string& name) const {
    auto it = index_.find(name);
    if (it == index_.end()) fail(source_, ": tensor ", name, " is missing");
    return *files_[it->second];
  }
  std::string source_;
  std::vector<std::shared_ptr<const SafetensorsFile>> files_;
  std::map<std::string, size_t> index_;
};

}  // namespace

std::shared_ptr<TensorStore> open_safetensors_store(const std::vector<std::string>& paths, std::string source) {
  return std::make_shared<SafetensorsStore>(paths, std::move(source));
}

std::shared_ptr<TensorStore> open_tensor_store(const std::string& path) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (fs::is_directory(path, ec)) {
    std::vector<std::string> shards;
    for (const auto& entry : fs::directory_iterator(path, ec))
      if (entry.is_regular_file() && ends_with(to_lower(entry.path().filename().string()), ".safetensors"))
        shards.push_back(entry.path().string());
    std::sort(shards.begin(), shards.end());
    if (shards.empty()) fail(path, ": folder holds no .safetensors files");
    return wrap_bnb_prequantized(open_safetensors_store(shards, path));
  }
  if (!fs::exists(path, ec)) fail(path, ": no such file");
  const std::string lower = to_lower(path);
  if (ends_with(lower, ".safetensors") || ends_with(lower, ".sft")) return wrap_bnb_prequantized(open_safetensors_store({path}, path));
  if (ends_with(lower, ".pt") || ends_with(lower, ".pth") || ends_with(lower, ".ckpt") || ends_with(lower, ".bin"))
    return wrap_bnb_prequantized(open_torch_checkpoint_store(path));
  fail(path, ": unsupported file type (expected .safetensors, or a torch checkpoint .pt/.pth/.ckpt/.bin)");
}

std::shared_ptr<const TensorStore> place(const StorePlacement& placement, std::shared_ptr<const TensorStore> store) {
  return placement ? placement(std::move(store)) : store;
}

}  // namespace fluxgen
