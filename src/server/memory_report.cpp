#include "server/memory_report.h"

#include "backend/backend.h"

#include <fstream>
#include <sstream>
#include <string>

namespace fluxgen::server {

namespace {

// A "Key:   123 kB" line's value of a /proc file, in bytes; nullopt when the key is absent.
std::optional<uint64_t> proc_kib(const char* file, const std::string& key) {
  std::ifstream in(file);
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(key + ":", 0) != 0) continue;
    std::istringstream fields(line.substr(key.size() + 1));
    uint64_t kib = 0;
    if (fields >> kib) return kib * 1024;
  }
  return std::nullopt;
}

json::Value current_peak(uint64_t current, uint64_t peak) {
  json::Value v = json::Value::object();
  v["current"] = current;
  v["peak"] = peak;
  return v;
}

}  // namespace

// The device statistics arrive with the device backend's memory interface; until a CUDA backend
// reports them this build has none, and the answer is A1111's for a machine without CUDA.
std::optional<DeviceMemoryStats> device_memory_stats() {
  if (!backend_available(Device::CUDA)) return std::nullopt;
  // The caching allocator's books (backend/cuda/device_allocator.h) in torch.cuda.memory_stats'
  // terms: active = allocated = bytes held by tensors, reserved = taken from the driver,
  // inactive = cached for reuse.
  const DeviceMemory m = backend_for(Device::CUDA).memory();
  DeviceMemoryStats s;
  s.free = m.free;
  s.total = m.total;
  s.active_current = s.allocated_current = m.in_use;
  s.active_peak = s.allocated_peak = m.peak_in_use;
  s.reserved_current = m.reserved;
  s.reserved_peak = m.peak_reserved;
  s.inactive_current = m.reserved > m.in_use ? m.reserved - m.in_use : 0;
  s.inactive_peak = s.reserved_peak > s.active_peak ? s.reserved_peak - s.active_peak : 0;
  return s;
}

uint64_t process_rss_bytes() { return proc_kib("/proc/self/status", "VmRSS").value_or(0); }

json::Value cuda_memory_json(const std::optional<DeviceMemoryStats>& stats) {
  json::Value cuda = json::Value::object();
  if (!stats) {
    cuda["error"] = "unavailable";
    return cuda;
  }
  json::Value system = json::Value::object();
  system["free"] = stats->free;
  system["used"] = stats->total - stats->free;
  system["total"] = stats->total;
  json::Value events = json::Value::object();
  events["retries"] = stats->alloc_retries;
  events["oom"] = stats->ooms;
  cuda["system"] = system;
  cuda["active"] = current_peak(stats->active_current, stats->active_peak);
  cuda["allocated"] = current_peak(stats->allocated_current, stats->allocated_peak);
  cuda["reserved"] = current_peak(stats->reserved_current, stats->reserved_peak);
  cuda["inactive"] = current_peak(stats->inactive_current, stats->inactive_peak);
  cuda["events"] = events;
  return cuda;
}

json::Value memory_report() {
  json::Value ram = json::Value::object();
  const auto total = proc_kib("/proc/meminfo", "MemTotal");
  const uint64_t rss = process_rss_bytes();
  if (!total || rss == 0) {
    ram["error"] = "cannot read /proc/meminfo or /proc/self/status";
  } else {
    ram["free"] = *total > rss ? *total - rss : 0;
    ram["used"] = rss;
    ram["total"] = *total;
    ram["available"] = proc_kib("/proc/meminfo", "MemAvailable").value_or(0);
  }
  json::Value out = json::Value::object();
  out["ram"] = ram;
  out["cuda"] = cuda_memory_json(device_memory_stats());
  return out;
}

}  // namespace fluxgen::server
