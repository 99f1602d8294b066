// Helpers for the text-encoder tests: fixture weights copied into memory under other key
// prefixes or with some tensors changed, and a store that has shapes but no data.
#pragma once
#include <map>
#include <memory>
#include <string>

#include "io/tensor_store.h"
#include "test_support.h"
#include "util/error.h"

namespace fluxgen::test {

// Every tensor of `path` under `prefix`, with the file's `config` metadata unless dropped.
inline std::shared_ptr<MemoryStore> prefixed_copy(const std::string& path, const std::string& prefix,
                                                  bool keep_config = true) {
  const auto src = open_tensor_store(path);
  std::map<std::string, std::string> meta;
  if (keep_config && !src->metadata("config").empty()) meta["config"] = src->metadata("config");
  auto out = std::make_shared<MemoryStore>(path + " (" + (prefix.empty() ? "copy" : prefix) + ")",
                                           std::map<std::string, Tensor>{}, meta);
  for (const auto& n : src->names()) out->put(prefix + n, src->get(n));
  return out;
}

// Names and shapes only (F16): for testing what is inferred from shapes at real model sizes.
class ShapeOnlyStore final : public TensorStore {
 public:
  explicit ShapeOnlyStore(std::map<std::string, Shape> shapes) : shapes_(std::move(shapes)) {}
  std::vector<std::string> names() const override {
    std::vector<std::string> n;
    for (const auto& [k, v] : shapes_) n.push_back(k);
    return n;
  }
  bool contains(const std::string& name) const override { return shapes_.count(name) > 0; }
  Tensor get(const std::string& name) const override { throw Error("shape-only store: no data for " + name); }
  Shape shape(const std::string& name) const override { return shapes_.at(name); }
  DType dtype(const std::string&) const override { return DType::F16; }
  std::string source() const override { return "shapes"; }

 private:
  std::map<std::string, Shape> shapes_;
};

}  // namespace fluxgen::test
