#include "backend/device_weight_store.h"

#include "backend/backend.h"
#include "util/error.h"

namespace fluxgen {

DeviceWeightStore::DeviceWeightStore(std::shared_ptr<const TensorStore> host, Device device)
    : host_(std::move(host)), device_(device) {
  check(host_ != nullptr, "DeviceWeightStore: no store");
  backend_for(device_);  // fails now, naming the device, rather than at the first weight
}

Tensor DeviceWeightStore::get(const std::string& name) const {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = resident_.find(name);
  if (it != resident_.end()) return it->second;
  const Tensor host = host_->get(name);
  Tensor on_device = host.device() == device_ ? host : backend_for(device_).upload_weight(host);
  resident_.emplace(name, on_device);
  return on_device;
}

uint64_t DeviceWeightStore::resident_bytes() const {
  std::lock_guard<std::mutex> lock(mutex_);
  uint64_t total = 0;
  for (const auto& [name, t] : resident_)
    total += t.nbytes() + (dtype_is_quantized_block(t.dtype()) ? t.absmax().nbytes() : 0);
  return total;
}

}  // namespace fluxgen
