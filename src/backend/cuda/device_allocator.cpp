#include "backend/cuda/device_allocator.h"

#include <cuda_runtime.h>

#include <algorithm>

#include "backend/cuda/cuda_check.h"
#include "backend/cuda/cuda_context.h"
#include "util/error.h"
#include "util/strings.h"

namespace fluxgen::cuda {

namespace {
constexpr size_t kGranule = 512;
size_t round_up(size_t bytes) { return std::max<size_t>(kGranule, (bytes + kGranule - 1) / kGranule * kGranule); }
// A cached block serves a request when it wastes at most a quarter of the request (plus a little
// for small ones): close sizes share blocks, a small tensor never pins a huge block.
bool fits(size_t block, size_t request) { return block <= request + request / 4 + 64 * 1024; }
}  // namespace

void* DeviceAllocator::take_cached(std::multimap<size_t, void*>& cache, size_t size, size_t& block_size) {
  auto it = cache.lower_bound(size);
  if (it == cache.end() || !fits(it->first, size)) return nullptr;
  void* block = it->second;
  block_size = it->first;
  cache.erase(it);
  return block;
}

std::shared_ptr<Storage> DeviceAllocator::allocate(size_t bytes) {
  const size_t size = round_up(bytes);
  void* block = nullptr;
  size_t block_size = size;
  std::shared_ptr<GraphPool> pool;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    pool = capturing_;
    // A capture reuses its own freed blocks first, then takes blocks of the cache into its pool.
    if (pool) block = take_cached(pool->cached_, size, block_size);
    if (!block) block = take_cached(cached_, size, block_size);
  }
  if (!block) {
    const auto over_limit = [&] {
      std::lock_guard<std::mutex> lock(mutex_);
      return limit_ > 0 && stats_.reserved + size > limit_;
    };
    if (over_limit() && !pool) release_cached();
    if (over_limit()) {
      const MemoryStats s = stats();
      throw DeviceOutOfMemory("CUDA out of memory: " + format_bytes(size) + " more would exceed the VRAM budget of " +
                              format_bytes(limit()) + " (" + format_bytes(s.in_use) + " in use by tensors)");
    }
    cudaError_t status = cudaMalloc(&block, size);
    if (status == cudaErrorMemoryAllocation && !pool) {
      cudaGetLastError();
      release_cached();
      status = cudaMalloc(&block, size);
    }
    if (status == cudaErrorMemoryAllocation) {
      cudaGetLastError();
      const MemoryStats s = stats();
      throw DeviceOutOfMemory("CUDA out of memory allocating " + format_bytes(size) + " (" + format_bytes(s.in_use) +
                              " in use by tensors; the card is full)");
    }
    check_cuda(status, "cudaMalloc");
    std::lock_guard<std::mutex> lock(mutex_);
    stats_.reserved += size;
    stats_.peak_reserved = std::max(stats_.peak_reserved, stats_.reserved);
  }
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stats_.in_use += block_size;
    stats_.peak_in_use = std::max(stats_.peak_in_use, stats_.in_use);
  }
  if (poison_) check_cuda(cudaMemsetAsync(block, 0xFF, block_size, Context::get().stream()), "poison device memory");
  auto storage = std::make_shared<Storage>();
  storage->data = block;
  storage->bytes = block_size;
  storage->device = Device::CUDA;
  storage->release = [this, block, block_size, pool] { give_back(block, block_size, pool); };
  return storage;
}

void DeviceAllocator::give_back(void* block, size_t size, const std::shared_ptr<GraphPool>& pool) {
  std::lock_guard<std::mutex> lock(mutex_);
  stats_.in_use -= size;
  (pool ? pool->cached_ : cached_).emplace(size, block);
}

void DeviceAllocator::begin_graph_pool() {
  std::lock_guard<std::mutex> lock(mutex_);
  check(!capturing_, "internal: a CUDA graph capture is under way already");
  capturing_ = std::make_shared<GraphPool>(*this);
}

std::shared_ptr<GraphPool> DeviceAllocator::end_graph_pool() {
  std::lock_guard<std::mutex> lock(mutex_);
  return std::move(capturing_);
}

GraphPool::~GraphPool() {
  // The graph and every tensor of it are gone: its blocks serve anyone again.
  std::lock_guard<std::mutex> lock(owner_.mutex_);
  owner_.cached_.merge(cached_);
}

void DeviceAllocator::release_cached() {
  std::multimap<size_t, void*> blocks;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    blocks.swap(cached_);
  }
  if (blocks.empty()) return;
  // Cached blocks may still be read by queued kernels of tensors that died meanwhile.
  check_cuda(cudaDeviceSynchronize(), "synchronize before freeing cached device memory");
  size_t freed = 0;
  for (const auto& [size, block] : blocks) {
    check_cuda(cudaFree(block), "cudaFree");
    freed += size;
  }
  std::lock_guard<std::mutex> lock(mutex_);
  stats_.reserved -= freed;
}

MemoryStats DeviceAllocator::stats() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return stats_;
}

void DeviceAllocator::set_limit(size_t bytes) {
  std::lock_guard<std::mutex> lock(mutex_);
  limit_ = bytes;
}

size_t DeviceAllocator::limit() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return limit_;
}

void DeviceAllocator::reset_peaks() {
  std::lock_guard<std::mutex> lock(mutex_);
  stats_.peak_in_use = stats_.in_use;
  stats_.peak_reserved = stats_.reserved;
}

}  // namespace fluxgen::cuda
