// A weight store whose tensors live on a device. Each tensor is copied there in its storage dtype
// (Backend::upload_weight) the first time it is asked for, and that copy is handed out afterwards;
// layer weights are converted on the host first (TensorStore::get_layer_weight), one at a time,
// so only the converted copy ever reaches the device. The host's file pages of each tensor are
// released once it is on the device. A model loaded from this store holds every weight on the
// device without knowing: its ops then run there (backend/ops.h), so models stay free of device
// branches.
//
// Streamed layers (the VRAM planner's choice, vram_plan.h): layer weights whose key `streamed`
// accepts stay on the host in page-locked memory, in their storage dtype; the weight streamer
// (weight_streamer.h) copies them in while the previous block computes.
#pragma once
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "io/tensor_store.h"

namespace fluxgen {

class DeviceWeightStore final : public TensorStore {
 public:
  using KeyFilter = std::function<bool(const std::string& key)>;
  // Throws when `device` has no backend in this process.
  DeviceWeightStore(std::shared_ptr<const TensorStore> host, Device device, KeyFilter streamed = {});

  std::vector<std::string> names() const override { return host_->names(); }
  bool contains(const std::string& name) const override { return host_->contains(name); }
  Tensor get(const std::string& name) const override;
  Tensor get_layer_weight(const std::string& name, std::optional<DType> dtype, int block_size) const override;
  Shape shape(const std::string& name) const override { return host_->shape(name); }
  DType dtype(const std::string& name) const override { return host_->dtype(name); }
  std::string source() const override { return host_->source(); }
  std::string metadata(const std::string& key) const override { return host_->metadata(key); }
  uint64_t data_bytes() const override { return host_->data_bytes(); }

  // Bytes copied to the device so far (packed codes and absmax of NF4/FP4 included).
  uint64_t resident_bytes() const;
  Device device() const override { return device_; }

 private:
  std::shared_ptr<const TensorStore> host_;
  Device device_;
  KeyFilter streamed_;
  mutable std::mutex mutex_;
  mutable std::map<std::string, Tensor> resident_;
  mutable uint64_t layer_bytes_ = 0;  // layer weights uploaded (not kept in resident_)
};

// Stores on `device`: DeviceWeightStores, or the stores as they are on the CPU.
StorePlacement store_placement(Device device);

}  // namespace fluxgen
