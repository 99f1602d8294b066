// Weights: a view of a TensorStore scoped to a key prefix, the way a model's block tree mirrors
// the checkpoint keys: Weights blk = root.sub("double_blocks").sub(3); blk.get("img_attn.qkv.weight")
// reads "double_blocks.3.img_attn.qkv.weight". Errors name the file, the full key and both shapes.
#pragma once
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "io/tensor_store.h"

namespace fluxgen {

class Weights {
 public:
  Weights() = default;
  explicit Weights(std::shared_ptr<const TensorStore> store, std::string prefix = "");

  Weights sub(std::string_view child) const;
  Weights sub(int64_t index) const { return sub(std::to_string(index)); }

  // prefix + name
  std::string key(std::string_view name) const;
  bool has(std::string_view name) const;
  Tensor get(std::string_view name) const;
  // Also checks the shape: "<file>: tensor <key> has shape [a, b], expected [c, d]".
  Tensor get(std::string_view name, const Shape& expected) const;
  std::optional<Tensor> maybe(std::string_view name) const;
  // A layer weight of the expected shape, converted and placed by the store
  // (TensorStore::get_layer_weight).
  Tensor layer_weight(std::string_view name, const Shape& expected, std::optional<DType> dtype, int block_size) const;
  Shape shape(std::string_view name) const;
  // A tensor a model computed on the host from these weights (a folded BatchNorm), placed where the
  // store keeps its weights (TensorStore::device), in its own dtype.
  Tensor place(const Tensor& host) const;
  // How many consecutively numbered children exist: count("double_blocks") == 19 when
  // double_blocks.0 ... double_blocks.18 have tensors.
  int64_t count(std::string_view child) const;
  // Whether any tensor lives under this prefix.
  bool exists() const;

  const TensorStore& store() const { return *store_; }
  const std::shared_ptr<const TensorStore>& store_ptr() const { return store_; }
  const std::string& prefix() const { return prefix_; }

 private:
  std::shared_ptr<const TensorStore> store_;
  std::string prefix_;  // "" or ends with '.'
};

}  // namespace fluxgen
