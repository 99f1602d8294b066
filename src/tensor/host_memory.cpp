#include "tensor/host_memory.h"

#include <malloc.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cstdlib>
#include <map>
#include <mutex>

#include "util/error.h"
#include "util/strings.h"

#if defined(__SANITIZE_ADDRESS__)
#define FLUXGEN_HOST_CACHE 0
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define FLUXGEN_HOST_CACHE 0
#endif
#endif
#ifndef FLUXGEN_HOST_CACHE
#define FLUXGEN_HOST_CACHE 1
#endif

namespace fluxgen {

namespace {

constexpr size_t kLarge = size_t(1) << 20;  // blocks from 1 MiB on are mapped and cached
constexpr size_t kUnit = size_t(2) << 20;   // the huge page size, the mapping granule
// Cached free blocks stay under this many bytes: enough for every activation of a FLUX step at
// 1024² to be reused, small beside the weights.
constexpr uint64_t kCacheLimit = uint64_t(1) << 30;

struct Cache {
  std::mutex mutex;
  std::multimap<size_t, void*> free_blocks;  // by mapped size
  HostMemoryStats stats{FLUXGEN_HOST_CACHE != 0, 0, kCacheLimit, 0, 0};
};
Cache& cache() {
  static Cache* c = new Cache;  // never destroyed: tensors may be freed during static destruction
  return *c;
}

size_t mapped_size(size_t bytes) { return (bytes + kUnit - 1) / kUnit * kUnit; }

// A mapping of `size` bytes aligned to kUnit (so whole huge pages fit), or nullptr.
void* map_aligned(size_t size) {
  void* raw = ::mmap(nullptr, size + kUnit, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (raw == MAP_FAILED) return nullptr;
  const uintptr_t start = reinterpret_cast<uintptr_t>(raw);
  const uintptr_t aligned = (start + kUnit - 1) / kUnit * kUnit;
  if (aligned > start) ::munmap(raw, aligned - start);
  const uintptr_t end = start + size + kUnit;
  if (end > aligned + size) ::munmap(reinterpret_cast<void*>(aligned + size), end - (aligned + size));
  void* p = reinterpret_cast<void*>(aligned);
  ::madvise(p, size, MADV_HUGEPAGE);  // a hint: without THP the block still works in 4 KiB pages
  return p;
}

void unmap_all_cached(Cache& c) {
  for (const auto& [size, p] : c.free_blocks) ::munmap(p, size);
  c.free_blocks.clear();
  c.stats.cached_bytes = 0;
}

}  // namespace

void* allocate_host(size_t bytes) {
  // More than the machine's memory can never succeed: say so at once (sanitizer allocators abort on
  // such sizes instead of returning null).
  static const uint64_t physical =
      static_cast<uint64_t>(::sysconf(_SC_PHYS_PAGES)) * static_cast<uint64_t>(::sysconf(_SC_PAGESIZE));
  if (physical > 0 && bytes > physical)
    fail("out of host memory allocating ", format_bytes(bytes), " (the machine has ", format_bytes(physical), ")");
  if (!FLUXGEN_HOST_CACHE || bytes < kLarge) {
    void* p = std::aligned_alloc(64, ((bytes ? bytes : 1) + 63) / 64 * 64);
    if (!p) fail("out of host memory allocating ", format_bytes(bytes));
    return p;
  }
  const size_t size = mapped_size(bytes);
  Cache& c = cache();
  {
    std::lock_guard<std::mutex> lock(c.mutex);
    auto it = c.free_blocks.find(size);
    if (it != c.free_blocks.end()) {
      void* p = it->second;
      c.free_blocks.erase(it);
      c.stats.cached_bytes -= size;
      ++c.stats.reused;
      return p;
    }
    ++c.stats.mapped;
  }
  void* p = map_aligned(size);
  if (!p) {
    trim_host_memory();
    p = map_aligned(size);
  }
  if (!p) fail("out of host memory allocating ", format_bytes(bytes));
  return p;
}

void release_host(void* p, size_t bytes) {
  if (!p) return;
  if (!FLUXGEN_HOST_CACHE || bytes < kLarge) {
    std::free(p);
    return;
  }
  const size_t size = mapped_size(bytes);
  Cache& c = cache();
  {
    std::lock_guard<std::mutex> lock(c.mutex);
    if (c.stats.cached_bytes + size <= c.stats.cache_limit) {
      c.free_blocks.emplace(size, p);
      c.stats.cached_bytes += size;
      return;
    }
  }
  ::munmap(p, size);
}

HostMemoryStats host_memory_stats() {
  Cache& c = cache();
  std::lock_guard<std::mutex> lock(c.mutex);
  return c.stats;
}

void trim_host_memory() {
  {
    Cache& c = cache();
    std::lock_guard<std::mutex> lock(c.mutex);
    unmap_all_cached(c);
  }
#if defined(__GLIBC__)
  // Blocks under 1 MiB come from malloc's arenas, and glibc gives a freed block back to the system
  // only when it is at an arena's top: one long-lived allocation above the freed weights (a
  // thread's kept im2col buffer, a cache) would hold them all resident. malloc_trim releases every
  // whole free page, wherever it lies.
  ::malloc_trim(0);
#endif
}

}  // namespace fluxgen
