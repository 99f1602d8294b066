// GET /sdapi/v1/memory in A1111's MemoryResponse shape: "ram" (the machine's total, the server
// process's resident memory as "used", total - used as "free", as A1111 reports them; fluxgen adds
// the kernel's "available") and "cuda" (the device allocator's statistics: system, active,
// allocated, reserved, inactive, events; {"error": "unavailable"} on a machine without CUDA, as
// A1111 answers there).
#pragma once
#include <cstdint>
#include <optional>

#include "io/json.h"

namespace fluxgen::server {

// What a CUDA device's allocator reports, in bytes (torch.cuda.mem_get_info / memory_stats).
struct DeviceMemoryStats {
  uint64_t free = 0, total = 0;  // the device as a whole
  uint64_t active_current = 0, active_peak = 0;
  uint64_t allocated_current = 0, allocated_peak = 0;
  uint64_t reserved_current = 0, reserved_peak = 0;
  uint64_t inactive_current = 0, inactive_peak = 0;
  uint64_t alloc_retries = 0, ooms = 0;
};

// The device's statistics, or nullopt when no CUDA backend is registered (every CPU build).
std::optional<DeviceMemoryStats> device_memory_stats();

// The server process's resident set in bytes (VmRSS of /proc/self/status).
uint64_t process_rss_bytes();

json::Value memory_report();
// The "cuda" part for given statistics (nullopt: the no-CUDA answer).
json::Value cuda_memory_json(const std::optional<DeviceMemoryStats>& stats);

}  // namespace fluxgen::server
