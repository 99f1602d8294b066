// A stand-in accelerator for machines without a GPU, registered as Device::CUDA in tests. Its
// tensors' bytes live in host memory the host cannot read: each storage's data pointer is an
// inaccessible (PROT_NONE) mapping, the real bytes sit in a registry beside it. Every op maps its
// arguments back to host tensors, runs the CPU backend and labels the results as device tensors
// (ForwardingBackend's arg/result hooks).
// A model that reads device memory on the host crashes the test; one that sends a host-only op
// a device tensor fails with that op's "not on the host" error. Numerics are the CPU backend's.
// It also keeps a GPU's books: bytes in use and their peak, an optional capacity past which an
// allocation throws DeviceOutOfMemory as the CUDA allocator does, pinned and async uploads.
// Device graphs: under capture every op runs and is recorded with copies of its arguments (a host
// argument, an upload or a download is an error, as the captured CUDA graph could not see a new
// value there); a replay runs the recorded ops again and writes each result over the one recorded,
// so that a graph reads whatever its input tensors hold at replay time, as a CUDA graph does.
#pragma once
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <functional>
#include <map>
#include <string>
#include <mutex>
#include <vector>

#include "backend/cpu/cpu_backend.h"
#include "backend/forwarding_backend.h"
#include "tensor/convert.h"
#include "util/error.h"

namespace fluxgen::test {

class FakeDeviceBackend final : public ForwardingBackend {
 public:
  const char* name() const override { return "fake-device"; }
  std::string device_name() override { return name(); }

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

  Tensor upload(const Tensor& host) override {
    refuse_under_capture("upload");
    return to_device(to_f32(host));
  }
  Tensor upload_weight(const Tensor& host) override {
    refuse_under_capture("upload_weight");
    return to_device(host.clone());
  }
  Tensor download(const Tensor& t) override {
    refuse_under_capture("download");
    return to_f32(to_host_view(t)).clone();
  }

  // Graphs (off: supports_graphs() says false, as a backend without them).
  void set_graphs(bool on) { graphs_ = on; }
  int captures() const { return captures_; }
  int replays() const { return replays_; }
  bool supports_graphs() override { return graphs_; }
  void begin_capture() override {
    check(graphs_, "fake device: graphs are off");
    check(!recording_, "fake device: a capture is under way already");
    recording_ = std::make_shared<Recording>();
  }
  std::unique_ptr<DeviceGraph> end_capture() override {
    check(recording_ != nullptr, "fake device: end_capture without begin_capture");
    ++captures_;
    return std::make_unique<Graph>(*this, std::move(recording_));
  }
  void abort_capture() override { recording_.reset(); }

 protected:
  Backend& inner() override { return cpu_; }
  Tensor arg(const Tensor& t) override {
    if (recording_ && t.defined() && t.device() == Device::CPU)
      throw Error("fake device: host tensor " + t.describe() + " given to an op under graph capture");
    return to_host_view(t);
  }
  Tensor result(Tensor t) override { return to_device(t); }
  Tensor call(const char* op, std::initializer_list<const Tensor*>, const std::function<Tensor()>& run) override {
    if (!recording_) return run();
    Tensor out = run();
    recording_->steps.push_back({op, run, out});
    return out;
  }

 private:
  struct Recording {
    struct Step {
      const char* op;                // for a debugger
      std::function<Tensor()> run;  // holds its arguments
      Tensor out;                   // the tensor it gave, which later steps read
    };
    std::vector<Step> steps;
  };
  class Graph final : public DeviceGraph {
   public:
    Graph(FakeDeviceBackend& device, std::shared_ptr<Recording> recording)
        : device_(device), recording_(std::move(recording)) {}
    void replay() override {
      ++device_.replays_;
      for (Recording::Step& step : recording_->steps) {
        // Over the recorded result's bytes (checks that the shapes and dtypes agree).
        device_.cpu_.copy_into(device_.to_host_view(step.out), device_.to_host_view(step.run()));
      }
    }

   private:
    FakeDeviceBackend& device_;
    std::shared_ptr<Recording> recording_;
  };

  void refuse_under_capture(const char* op) const {
    if (recording_) throw Error(std::string("fake device: ") + op + " under graph capture");
  }

  CpuBackend cpu_;
  bool graphs_ = true;
  std::shared_ptr<Recording> recording_;
  int captures_ = 0, replays_ = 0;
  std::mutex mutex_;
  std::map<const void*, Tensor> real_;  // inaccessible base address -> the host tensor holding the bytes
  uint64_t capacity_ = 0, limit_ = 0, in_use_ = 0, peak_ = 0;
  std::atomic<uint64_t> pinned_bytes_{0};
  std::atomic<int> async_uploads_{0};
};

}  // namespace fluxgen::test
