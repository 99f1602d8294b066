// A weight store whose tensors live on a device. Each tensor is copied there in its storage dtype
// (Backend::upload_weight) the first time it is asked for, and that copy is handed out afterwards.
// A model loaded from it holds every weight on the device without knowing: its ops then run
// there (backend/ops.h), so models stay free of device branches.
#pragma once
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "io/tensor_store.h"

namespace fluxgen {

class DeviceWeightStore final : public TensorStore {
 public:
  // Throws when `device` has no backend in this process.
  DeviceWeightStore(std::shared_ptr<const TensorStore> host, Device device);

  std::vector<std::string> names() const override { return host_->names(); }
  bool contains(const std::string& name) const override { return host_->contains(name); }
  Tensor get(const std::string& name) const override;
  Shape shape(const std::string& name) const override { return host_->shape(name); }
  DType dtype(const std::string& name) const override { return host_->dtype(name); }
  std::string source() const override { return host_->source(); }
  std::string metadata(const std::string& key) const override { return host_->metadata(key); }
  uint64_t data_bytes() const override { return host_->data_bytes(); }

  // Bytes copied to the device so far (packed codes and absmax of NF4/FP4 included).
  uint64_t resident_bytes() const;
  Device device() const { return device_; }

 private:
  std::shared_ptr<const TensorStore> host_;
  Device device_;
  mutable std::mutex mutex_;
  mutable std::map<std::string, Tensor> resident_;
};

}  // namespace fluxgen
