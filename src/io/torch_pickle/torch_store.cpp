#include "io/torch_pickle/torch_store.h"

#include <map>

#include "io/torch_pickle/state_dict_names.h"
#include "io/torch_pickle/torch_checkpoint.h"
#include "util/error.h"
#include "util/map_keys.h"

namespace fluxgen {
namespace {

using torch_pickle::TorchCheckpoint;

class TorchCheckpointStore final : public TensorStore {
 public:
  explicit TorchCheckpointStore(std::shared_ptr<const TorchCheckpoint> ckpt) : ckpt_(std::move(ckpt)) {
    try {
      for (auto& named : torch_pickle::name_tensors(ckpt_->root(), ckpt_->limits(), ckpt_->object_count()))
        index_.emplace(std::move(named.name), named.tensor);
    } catch (const Error& e) {
      fail(ckpt_->source(), ": ", e.what());
    }
  }
  std::vector<std::string> names() const override { return map_keys(index_); }
  bool contains(const std::string& name) const override { return index_.count(name) > 0; }
  Tensor get(const std::string& name) const override { return ckpt_->materialize(record_index(name)); }
  Shape shape(const std::string& name) const override { return ckpt_->objects().tensors[record_index(name)].shape; }
  DType dtype(const std::string& name) const override { return ckpt_->objects().tensors[record_index(name)].dtype; }
  std::string source() const override { return ckpt_->source(); }

 private:
  size_t record_index(const std::string& name) const {
    auto it = index_.find(name);
    if (it == index_.end()) fail(ckpt_->source(), ": tensor ", name, " is missing");
    return it->second;
  }
  std::shared_ptr<const TorchCheckpoint> ckpt_;
  std::map<std::string, size_t> index_;
};

}  // namespace

std::shared_ptr<TensorStore> open_torch_checkpoint_store(const std::string& path) {
  return std::make_shared<TorchCheckpointStore>(TorchCheckpoint::open(path));
}

std::shared_ptr<TensorStore> torch_checkpoint_store_from_bytes(std::shared_ptr<const std::string> bytes,
                                                               const std::string& source,
                                                               const torch_pickle::Limits& limits) {
  const auto* data = reinterpret_cast<const uint8_t*>(bytes->data());
  const size_t size = bytes->size();
  return std::make_shared<TorchCheckpointStore>(TorchCheckpoint::parse(std::move(bytes), data, size, source, limits));
}

}  // namespace fluxgen
