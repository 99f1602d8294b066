#include "pipeline/placement/device_weight_store.h"

#include "backend/backend.h"
#include "util/error.h"

namespace fluxgen {

DeviceWeightStore::DeviceWeightStore(std::shared_ptr<const TensorStore> host, Device device, KeyFilter streamed)
    : host_(std::move(host)), device_(device), streamed_(std::move(streamed)) {
  check(host_ != nullptr, "DeviceWeightStore: no store");
  backend_for(device_);  // fails now, naming the device, rather than at the first weight
}

Tensor DeviceWeightStore::get(const std::string& name) const {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = resident_.find(name);
  if (it != resident_.end()) return it->second;
  const Tensor host = host_->get(name);
  if (host.device() == device_) return resident_.emplace(name, host).first->second;
  Tensor on_device = backend_for(device_).upload_weight(host);
  host_->release_pages(name);
  resident_.emplace(name, on_device);
  return on_device;
}

Tensor DeviceWeightStore::get_layer_weight(const std::string& name, std::optional<DType> dtype, int block_size) const {
  const Tensor host = host_->get_layer_weight(name, dtype, block_size);
  if (host.device() == device_) return host;
  Backend& backend = backend_for(device_);
  const bool streamed = streamed_ && streamed_(name);
  Tensor placed = streamed ? backend.pin(host) : backend.upload_weight(host);
  host_->release_pages(name);
  if (!streamed) {
    std::lock_guard<std::mutex> lock(mutex_);
    layer_bytes_ += placed.held_bytes();
  }
  return placed;
}

uint64_t DeviceWeightStore::resident_bytes() const {
  std::lock_guard<std::mutex> lock(mutex_);
  uint64_t total = layer_bytes_;
  for (const auto& [name, t] : resident_) total += t.held_bytes();
  return total;
}

StorePlacement store_placement(Device device) {
  if (device == Device::CPU) return {};
  return [device](std::shared_ptr<const TensorStore> host) -> std::shared_ptr<const TensorStore> {
    return std::make_shared<DeviceWeightStore>(std::move(host), device);
  };
}

}  // namespace fluxgen
