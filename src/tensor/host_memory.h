// Host memory for tensors. A denoising step allocates and frees the same large activations at every
// layer; taken fresh from the system each time, every one of them is page-faulted and zeroed again
// (a third of a CPU step's time when measured). Large blocks are therefore kept: they come from
// mmap in 2 MiB units with transparent huge pages requested (fewer faults, fewer TLB misses in the
// GEMMs), and a freed block waits in a bounded cache for the next allocation of its size class.
// Small blocks go to the C allocator. Sanitizer builds bypass the cache so AddressSanitizer still
// sees every block's bounds.
#pragma once
#include <cstddef>
#include <cstdint>

namespace fluxgen {

// 64-byte aligned, uninitialised; throws naming the size when the system has no memory left
// (after returning the cache to the system and trying again).
void* allocate_host(size_t bytes);
// `bytes` must be the size given to allocate_host.
void release_host(void* p, size_t bytes);

struct HostMemoryStats {
  bool caching = false;       // false in sanitizer builds
  uint64_t cached_bytes = 0;  // freed blocks held for reuse
  uint64_t cache_limit = 0;
  uint64_t reused = 0;        // allocations served from the cache
  uint64_t mapped = 0;        // allocations that went to the system
};
HostMemoryStats host_memory_stats();
// Returns every cached block, and malloc's free pages, to the system (after a generation, before
// loading another model, after an unload).
void trim_host_memory();

}  // namespace fluxgen
