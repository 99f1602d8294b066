// Device memory for tensors: cudaMalloc'd blocks kept in a cache when their tensors die and handed
// out again for requests of about the same size, so a denoising loop that allocates the same
// activations every step stops calling cudaMalloc after the first one. No managed memory.
// Every kernel runs on the one stream of the CUDA context, which orders a block's reuse after the
// work that used it; a block is never touched by two streams.
#pragma once
#include <cstddef>
#include <map>
#include <memory>
#include <mutex>

#include "tensor/tensor.h"

namespace fluxgen::cuda {

struct MemoryStats {
  size_t in_use = 0;         // bytes held by live tensors (block sizes)
  size_t peak_in_use = 0;
  size_t reserved = 0;       // bytes obtained from cudaMalloc: in use + cached
  size_t peak_reserved = 0;
};

// The blocks of one CUDA graph (while it is captured and while it lives): its kernels use them at
// every replay, so no tensor outside the graph may get them. Freed tensors of the graph return
// their block here, not to the allocator's cache; the pool gives its blocks to the allocator's
// cache when the graph and its last tensor are gone.
class GraphPool;

class DeviceAllocator {
 public:
  // A block of at least `bytes`, 256-byte aligned; its Storage gives the block back when released.
  // On cudaMalloc failure the cache is emptied and the allocation tried once more; then it throws
  // naming the size and what is in use.
  std::shared_ptr<Storage> allocate(size_t bytes);
  // cudaFree of every cached block (not of blocks in use).
  void release_cached();
  MemoryStats stats() const;
  // Peaks restart from the current values.
  void reset_peaks();
  // The VRAM budget: no allocation takes the bytes obtained from the driver past `bytes` (0: no
  // limit but the card's); beyond it, and when the card is full, allocate throws DeviceOutOfMemory.
  void set_limit(size_t bytes);
  size_t limit() const;
  // Fills every block handed out with 0xFF bytes (NaN in F32 and BF16) so that tests see any
  // element a kernel failed to write.
  void set_poison(bool poison) { poison_ = poison; }

  // While a graph is captured: blocks come from (and go back to) a new pool, returned by
  // end_graph_pool for the graph to hold. No block is freed to the driver meanwhile (that would
  // synchronize, which a capture forbids): allocations past the budget throw at once.
  void begin_graph_pool();
  std::shared_ptr<GraphPool> end_graph_pool();

 private:
  friend class GraphPool;
  void give_back(void* block, size_t size, const std::shared_ptr<GraphPool>& pool);
  // A cached block of about `size` from `cache` (removed from it), or nullptr.
  static void* take_cached(std::multimap<size_t, void*>& cache, size_t size, size_t& block_size);
  mutable std::mutex mutex_;
  std::shared_ptr<GraphPool> capturing_;  // the pool of the capture under way
  std::multimap<size_t, void*> cached_;  // block size -> block
  MemoryStats stats_;
  size_t limit_ = 0;
  bool poison_ = false;
};

class GraphPool {
 public:
  explicit GraphPool(DeviceAllocator& owner) : owner_(owner) {}
  ~GraphPool();
  GraphPool(const GraphPool&) = delete;
  GraphPool& operator=(const GraphPool&) = delete;

 private:
  friend class DeviceAllocator;
  DeviceAllocator& owner_;
  std::multimap<size_t, void*> cached_;  // guarded by owner_.mutex_
};

}  // namespace fluxgen::cuda
