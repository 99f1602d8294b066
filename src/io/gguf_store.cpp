#include "io/gguf_store.h"

#include <algorithm>
#include <map>

#include "io/gguf.h"
#include "util/error.h"
#include "util/map_keys.h"
#include "util/strings.h"

namespace fluxgen {

namespace {

constexpr std::string_view kImagePrefix = "model.diffusion_model.";
constexpr std::string_view kOrigShapeKey = "comfy.gguf.orig_shape.";

bool is_t5_architecture(const std::string& arch) { return arch == "t5" || arch == "t5encoder"; }

class GgufStore final : public TensorStore {
 public:
  explicit GgufStore(const std::string& path) : file_(gguf::GgufFile::open(path)) {
    const auto& tensors = file_->header().tensors;
    const bool t5 = is_t5_architecture(file_->metadata_string("general.architecture"));
    bool prefixed = false;
    for (const auto& t : tensors) prefixed = prefixed || starts_with(t.name, kImagePrefix);
    for (size_t k = 0; k < tensors.size(); ++k) {
      const gguf::TensorInfo& t = tensors[k];
      std::string name = t.name;
      if (prefixed) {
        if (!starts_with(name, kImagePrefix)) continue;  // what ComfyUI-GGUF also ignores
        name = name.substr(kImagePrefix.size());
      }
      if (t5) name = t5_name_from_llama(name);
      auto [it, inserted] = entries_.emplace(name, Entry{k, shape_of(t)});
      if (!inserted)
        fail(path, ": tensors ", tensors[it->second.index].name, " and ", t.name, " both load as ", name);
    }
  }

  std::vector<std::string> names() const override { return map_keys(entries_); }
  bool contains(const std::string& name) const override { return entries_.count(name) > 0; }
  Tensor get(const std::string& name) const override {
    const Entry& e = entry(name);
    const gguf::TensorInfo& t = info(e);
    return Tensor::wrap(e.shape, gguf::dtype_of(t.type), file_->data(t), static_cast<size_t>(t.bytes), file_->mapping());
  }
  Shape shape(const std::string& name) const override { return entry(name).shape; }
  DType dtype(const std::string& name) const override { return gguf::dtype_of(info(entry(name)).type); }
  std::string source() const override { return file_->path(); }
  // Any metadata value, rendered as text (general.architecture, general.file_type ...).
  std::string metadata(const std::string& key) const override {
    auto it = file_->header().metadata.find(key);
    return it == file_->header().metadata.end() ? "" : it->second.to_string();
  }
  void release_pages(const std::string& name) const override {
    const gguf::TensorInfo& t = info(entry(name));
    file_->mapping()->release_pages(static_cast<size_t>(file_->header().data_offset + t.offset), static_cast<size_t>(t.bytes));
  }

 private:
  struct Entry {
    size_t index;  // into the header's tensors
    Shape shape;
  };

  const Entry& entry(const std::string& name) const {
    auto it = entries_.find(name);
    if (it == entries_.end()) fail(source(), ": tensor ", name, " is missing");
    return it->second;
  }
  const gguf::TensorInfo& info(const Entry& e) const { return file_->header().tensors[e.index]; }

  Shape shape_of(const gguf::TensorInfo& t) const {
    const Shape dims = t.torch_shape();
    auto it = file_->header().metadata.find(std::string(kOrigShapeKey) + t.name);
    if (it == file_->header().metadata.end()) return dims;
    const gguf::Value& v = it->second;
    const std::string key = it->first;
    if (v.kind != gguf::Value::Kind::Array) fail(source(), ": metadata ", key, " must be an array of integers");
    Shape shape;
    int64_t numel = 1;
    for (const auto& d : *v.array) {
      // ComfyUI-GGUF writes INT32; unsigned arrays carry the same numbers.
      if (d.kind != gguf::Value::Kind::Int && d.kind != gguf::Value::Kind::UInt)
        fail(source(), ": metadata ", key, " must be an array of integers");
      const int64_t n = d.kind == gguf::Value::Kind::Int ? d.i : static_cast<int64_t>(std::min<uint64_t>(d.u, (uint64_t{1} << 40) + 1));
      if (n <= 0 || n > (int64_t{1} << 40)) fail(source(), ": metadata ", key, " has dimension ", n);
      if (shape.size() >= 8 || numel > (int64_t{1} << 50) / n) fail(source(), ": metadata ", key, " gives an absurd shape");
      numel *= n;
      shape.push_back(n);
    }
    if (shape.empty() || numel != shape_numel(dims))
      fail(source(), ": metadata ", key, " gives shape ", shape_string(shape), " for tensor ", t.name, " of ",
           shape_string(dims), " (", shape_numel(dims), " elements)");
    return shape;
  }

  std::shared_ptr<const gguf::GgufFile> file_;
  std::map<std::string, Entry> entries_;
};

}  // namespace

const std::vector<std::pair<std::string_view, std::string_view>>& t5_llama_name_map() {
  // ComfyUI-GGUF's table (loader.py, T5_SD_MAP), applied in this order as substring replacements.
  static const std::vector<std::pair<std::string_view, std::string_view>> map = {
      {"enc.", "encoder."},
      {".blk.", ".block."},
      {"token_embd", "shared"},
      {"output_norm", "final_layer_norm"},
      {"attn_q", "layer.0.SelfAttention.q"},
      {"attn_k", "layer.0.SelfAttention.k"},
      {"attn_v", "layer.0.SelfAttention.v"},
      {"attn_o", "layer.0.SelfAttention.o"},
      {"attn_norm", "layer.0.layer_norm"},
      {"attn_rel_b", "layer.0.SelfAttention.relative_attention_bias"},
      {"ffn_up", "layer.1.DenseReluDense.wi_1"},
      {"ffn_down", "layer.1.DenseReluDense.wo"},
      {"ffn_gate", "layer.1.DenseReluDense.wi_0"},
      {"ffn_norm", "layer.1.layer_norm"},
  };
  return map;
}

std::string t5_name_from_llama(const std::string& name) {
  std::string out = name;
  for (const auto& [from, to] : t5_llama_name_map()) {
    for (size_t pos = out.find(from); pos != std::string::npos; pos = out.find(from, pos + to.size()))
      out.replace(pos, from.size(), to);
  }
  return out;
}

std::shared_ptr<TensorStore> open_gguf_store(const std::string& path) { return std::make_shared<GgufStore>(path); }

}  // namespace fluxgen
