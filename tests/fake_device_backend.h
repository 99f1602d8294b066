// A stand-in accelerator for machines without a GPU, registered as Device::CUDA in tests. Its
// tensors' bytes live in host memory the host cannot read: each storage's data pointer is an
// inaccessible (PROT_NONE) mapping, the real bytes sit in a registry beside it. Every op maps its
// arguments back to host tensors, runs the CPU backend and labels the results as device tensors.
// A model that reads device memory on the host crashes the test; one that sends a host-only op
// a device tensor fails with that op's "not on the host" error. Numerics are the CPU backend's.
// It also keeps a GPU's books: bytes in use and their peak, an optional capacity past which an
// allocation throws DeviceOutOfMemory as the CUDA allocator does, pinned and async uploads.
#pragma once
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <map>
#include <string>
#include <mutex>

#include "backend/cpu/cpu_backend.h"
#include "tensor/convert.h"
#include "util/error.h"

namespace fluxgen::test {

class FakeDeviceBackend final : public Backend {
 public:
  const char* name() const override { return "fake-device"; }

  // Host tensor -> device tensor sharing its bytes (no copy; the registry keeps them alive).
  Tensor to_device(const Tensor& host) {
    if (host.device() == Device::CUDA) return host;
    if (dtype_is_quantized_block(host.dtype())) {
      const Tensor packed = Tensor::from_storage({static_cast<int64_t>(host.nbytes())}, DType::U8, host.storage(),
                                                 host.storage_offset());
      return Tensor::quantized(host.shape(), host.dtype(), to_device(packed), to_device(host.absmax()),
                               host.block_size());
    }
    const size_t bytes = std::max<size_t>(host.nbytes(), 1);
    {
      std::lock_guard<std::mutex> lock(mutex_);
      const uint64_t limit = limit_ ? limit_ : capacity_;
      if (limit && in_use_ + bytes > limit)
        throw DeviceOutOfMemory("fake device: out of memory allocating " + std::to_string(bytes) + " bytes (" +
                                std::to_string(in_use_) + " in use, limit " + std::to_string(limit) + ")");
      in_use_ += bytes;
      peak_ = std::max(peak_, in_use_);
    }
    const size_t page = static_cast<size_t>(::sysconf(_SC_PAGESIZE));
    const size_t mapped = (bytes + page - 1) / page * page;
    void* fake = ::mmap(nullptr, mapped, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    check(fake != MAP_FAILED, "fake device: mmap failed");
    {
      std::lock_guard<std::mutex> lock(mutex_);
      real_[fake] = host;
    }
    auto s = std::make_shared<Storage>();
    s->data = fake;
    s->bytes = host.nbytes();
    s->device = Device::CUDA;
    s->release = [this, fake, mapped, bytes] {
      std::lock_guard<std::mutex> lock(mutex_);
      in_use_ -= bytes;
      real_.erase(fake);
      ::munmap(fake, mapped);
    };
    return Tensor::from_storage(host.shape(), host.dtype(), std::move(s));
  }

  // Device tensor -> host tensor over the same bytes.
  Tensor to_host_view(const Tensor& t) {
    if (!t.defined() || t.device() == Device::CPU) return t;
    Tensor real;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      real = real_.at(t.storage()->data);
    }
    if (dtype_is_quantized_block(t.dtype())) {
      const Tensor packed = Tensor::from_storage({static_cast<int64_t>(t.nbytes())}, DType::U8, real.storage(),
                                                 real.storage_offset() + t.storage_offset());
      return Tensor::quantized(t.shape(), t.dtype(), packed, to_host_view(t.absmax()), t.block_size());
    }
    return Tensor::from_storage(t.shape(), t.dtype(), real.storage(), real.storage_offset() + t.storage_offset());
  }

  size_t live_tensors() {
    std::lock_guard<std::mutex> lock(mutex_);
    return real_.size();
  }

  // The card's size (0: unlimited); DeviceMemory::total reports it.
  void set_capacity(uint64_t bytes) {
    std::lock_guard<std::mutex> lock(mutex_);
    capacity_ = bytes;
  }
  uint64_t pinned_bytes() const { return pinned_bytes_; }
  int async_uploads() const { return async_uploads_; }

  Tensor pin(const Tensor& host) override {
    pinned_bytes_ += host.held_bytes();
    return host.clone();
  }
  Tensor upload_weight_async(const Tensor& host) override {
    ++async_uploads_;
    return upload_weight(host);
  }
  DeviceMemory memory() override {
    std::lock_guard<std::mutex> lock(mutex_);
    DeviceMemory m;
    m.total = capacity_;
    m.free = capacity_ > in_use_ ? capacity_ - in_use_ : 0;
    m.in_use = m.reserved = in_use_;
    m.peak_in_use = m.peak_reserved = peak_;
    m.limit = limit_;
    return m;
  }
  void set_memory_limit(uint64_t bytes) override {
    std::lock_guard<std::mutex> lock(mutex_);
    limit_ = bytes;
  }
  void reset_memory_peak() override {
    std::lock_guard<std::mutex> lock(mutex_);
    peak_ = in_use_;
  }

  Tensor upload(const Tensor& host) override { return to_device(to_f32(host)); }
  Tensor upload_weight(const Tensor& host) override { return to_device(host.clone()); }
  Tensor download(const Tensor& t) override { return to_f32(to_host_view(t)).clone(); }
  Tensor dequantize(const Tensor& w) override { return to_device(cpu_.dequantize(h(w))); }
  Tensor linear(const Tensor& x, const Tensor& w, const Tensor* b) override {
    return to_device(cpu_.linear(h(x), h(w), hp(b).get()));
  }
  Tensor attention(const Tensor& q, const Tensor& k, const Tensor& v, const Tensor* bias, bool causal,
                   float scale) override {
    return to_device(cpu_.attention(h(q), h(k), h(v), hp(bias).get(), causal, scale));
  }
  Tensor layer_norm(const Tensor& x, const Tensor* w, const Tensor* b, float eps) override {
    return to_device(cpu_.layer_norm(h(x), hp(w).get(), hp(b).get(), eps));
  }
  Tensor rms_norm(const Tensor& x, const Tensor* w, float eps) override {
    return to_device(cpu_.rms_norm(h(x), hp(w).get(), eps));
  }
  Tensor group_norm(const Tensor& x, int groups, const Tensor* w, const Tensor* b, float eps) override {
    return to_device(cpu_.group_norm(h(x), groups, hp(w).get(), hp(b).get(), eps));
  }
  Tensor softmax(const Tensor& x) override { return to_device(cpu_.softmax(h(x))); }
  Tensor activation(const Tensor& x, Activation a) override { return to_device(cpu_.activation(h(x), a)); }
  Tensor leaky_relu(const Tensor& x, float s) override { return to_device(cpu_.leaky_relu(h(x), s)); }
  Tensor prelu(const Tensor& x, const Tensor& s) override { return to_device(cpu_.prelu(h(x), h(s))); }
  Tensor binary(const Tensor& a, const Tensor& b, Binary op) override { return to_device(cpu_.binary(h(a), h(b), op)); }
  Tensor affine(const Tensor& x, float m, float a) override { return to_device(cpu_.affine(h(x), m, a)); }
  Tensor clamp(const Tensor& x, float lo, float hi) override { return to_device(cpu_.clamp(h(x), lo, hi)); }
  Tensor permute(const Tensor& x, const std::vector<int>& dims) override { return to_device(cpu_.permute(h(x), dims)); }
  Tensor concat(const std::vector<Tensor>& parts, int dim) override {
    std::vector<Tensor> hs;
    for (const Tensor& p : parts) hs.push_back(h(p));
    return to_device(cpu_.concat(hs, dim));
  }
  Tensor slice(const Tensor& x, int dim, int64_t s, int64_t e) override { return to_device(cpu_.slice(h(x), dim, s, e)); }
  Tensor embedding(const Tensor& ids, const Tensor& table) override {
    return to_device(cpu_.embedding(h(ids), h(table)));
  }
  Tensor rope(const Tensor& x, const Tensor& c, const Tensor& s) override {
    return to_device(cpu_.rope(h(x), h(c), h(s)));
  }
  Tensor conv2d(const Tensor& x, const Tensor& w, const Tensor* b, int stride, int padding, int groups) override {
    return to_device(cpu_.conv2d(h(x), h(w), hp(b).get(), stride, padding, groups));
  }
  Tensor pad2d(const Tensor& x, int l, int r, int t, int b, float v) override {
    return to_device(cpu_.pad2d(h(x), l, r, t, b, v));
  }
  Tensor upsample_nearest(const Tensor& x, int f) override { return to_device(cpu_.upsample_nearest(h(x), f)); }
  Tensor pixel_shuffle(const Tensor& x, int f) override { return to_device(cpu_.pixel_shuffle(h(x), f)); }
  Tensor pixel_unshuffle(const Tensor& x, int f) override { return to_device(cpu_.pixel_unshuffle(h(x), f)); }
  Tensor max_pool2d(const Tensor& x, int k, int s, int p) override { return to_device(cpu_.max_pool2d(h(x), k, s, p)); }

 private:
  Tensor h(const Tensor& t) { return to_host_view(t); }
  std::unique_ptr<Tensor> hp(const Tensor* t) { return t ? std::make_unique<Tensor>(h(*t)) : nullptr; }

  CpuBackend cpu_;
  std::mutex mutex_;
  std::map<const void*, Tensor> real_;  // inaccessible base address -> the host tensor holding the bytes
  uint64_t capacity_ = 0, limit_ = 0, in_use_ = 0, peak_ = 0;
  std::atomic<uint64_t> pinned_bytes_{0};
  std::atomic<int> async_uploads_{0};
};

}  // namespace fluxgen::test
