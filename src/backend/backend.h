// The one interface of tensor operations every device implements. Models call the free functions
// in backend/ops.h, which pick the backend of the tensors' device; no model branches on devices.
// Activations are F32 on the CPU backend; weights may be in any storage dtype (backends dequantize
// them as they go, never the whole tensor at once). An accelerator's backend also takes host
// tensors as arguments (ops.h sends a call there when any argument lives on its device): models
// mix small tensors they compute on the host with device activations and weights.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "tensor/tensor.h"

namespace fluxgen {

// A device's memory as its allocator sees it (all zero on the CPU).
struct DeviceMemory {
  uint64_t total = 0;        // the card's memory
  uint64_t free = 0;         // free on the card now (driver's view)
  uint64_t in_use = 0;       // bytes held by live tensors
  uint64_t peak_in_use = 0;  // since the last reset_memory_peak()
  uint64_t reserved = 0;     // obtained from the driver: in use + cached
  uint64_t peak_reserved = 0;
  uint64_t limit = 0;        // the budget allocations may not exceed (0: none but the card's)
};

// A recorded run of device work (a CUDA graph), replayed as recorded: the same kernels on the same
// memory. The memory it reads and writes stays reserved for it while it lives.
class DeviceGraph {
 public:
  virtual ~DeviceGraph() = default;
  virtual void replay() = 0;
};

enum class Activation { SiLU, GeluTanh, GeluErf, QuickGelu, ReLU, Tanh, Sigmoid };
enum class Binary { Add, Sub, Mul, Div };

class Backend {
 public:
  virtual ~Backend() = default;
  virtual const char* name() const = 0;

  // Moves a tensor onto this backend's device in its compute dtype (F32 on the CPU).
  virtual Tensor upload(const Tensor& host) = 0;
  // A host tensor copied to this device as it is stored: same dtype, NF4/FP4 codes with their
  // absmax. Weights stay resident this way in their storage dtype (pipeline/placement/device_weight_store.h),
  // and so do tables computed on the host that must keep their precision (RoPE angles). The CPU
  // backend returns the tensor itself.
  virtual Tensor upload_weight(const Tensor& host) = 0;
  // Copies a tensor of this device back to the host as F32.
  virtual Tensor download(const Tensor& t) = 0;

  // Weight streaming (pipeline/placement/weight_streamer.h). `pin` returns a host copy in
  // page-locked memory, so that copies from it run while kernels run; `upload_weight_async`
  // starts such a copy (as upload_weight) on a copy stream, ordered after the work already
  // queued; `wait_for_uploads` makes later work wait until every copy started so far is done.
  // Devices without copy engines keep the synchronous defaults.
  virtual Tensor pin(const Tensor& host) { return host; }
  virtual Tensor upload_weight_async(const Tensor& host) { return upload_weight(host); }
  virtual void wait_for_uploads() {}

  // Memory accounting and the VRAM budget: allocations beyond `limit` bytes throw
  // DeviceOutOfMemory (util/error.h). `release_cached` returns cached blocks to the driver.
  virtual DeviceMemory memory() { return {}; }
  virtual void set_memory_limit(uint64_t bytes) { (void)bytes; }
  virtual void reset_memory_peak() {}
  virtual void release_cached() {}
  // Which card of several (`--device cuda:N`); only before the device's first use.
  virtual void use_device(int index) { check_device_index(index); }
  // The dtype activations are computed in (F32 on the CPU; BF16 by default on a GPU).
  virtual DType compute_dtype() { return DType::F32; }
  // A name for logs ("NVIDIA H100 80GB HBM3").
  virtual std::string device_name() { return name(); }

  // Graphs of a repeated computation (models/flux/step_graph.h captures the denoising step).
  // Between begin_capture and end_capture the ops of this thread are recorded; on CUDA they do not
  // run until the graph is replayed. Every tensor they take must be on this device already (a host
  // argument, an upload or a download is an error then), and what they allocate stays the graph's.
  // abort_capture drops a capture that failed. Backends without graphs say false and throw.
  virtual bool supports_graphs() { return false; }
  virtual void begin_capture();
  virtual std::unique_ptr<DeviceGraph> end_capture();
  virtual void abort_capture() {}
  // A new tensor on this device with src's elements in src's dtype (src on this device).
  virtual Tensor copy(const Tensor& src);
  // src's elements into dst (both on this device, same shape and dtype), in order with the ops:
  // how a graph's inputs get the next step's values.
  virtual void copy_into(const Tensor& dst, const Tensor& src);

  // A weight of any storage dtype expanded to the compute dtype on this device (one layer at a
  // time: online LoRA folds its delta into it when that is cheaper than the side path).
  virtual Tensor dequantize(const Tensor& weight) = 0;
  // y[..., N] = x[..., K] · W[N, K]ᵀ (+ bias[N]). W in any dtype.
  virtual Tensor linear(const Tensor& x, const Tensor& weight, const Tensor* bias) = 0;
  // Scaled dot-product attention over [B, H, L, D]; `bias` (optional, additive) broadcasts from
  // [B|1, H|1, Lq, Lk]; `causal` masks keys after the query. scale <= 0 means 1/sqrt(D).
  virtual Tensor attention(const Tensor& q, const Tensor& k, const Tensor& v, const Tensor* bias, bool causal,
                           float scale) = 0;

  virtual Tensor layer_norm(const Tensor& x, const Tensor* weight, const Tensor* bias, float eps) = 0;
  virtual Tensor rms_norm(const Tensor& x, const Tensor* weight, float eps) = 0;
  // x [N, C, *spatial]; weight/bias [C].
  virtual Tensor group_norm(const Tensor& x, int groups, const Tensor* weight, const Tensor* bias, float eps) = 0;
  // FLUX's modulation, fused where a backend has the kernel: layer_norm(x) without affine, then
  // · (1 + scale) + shift, with x [B, L, D] and scale/shift [B, 1, D] (broadcast over the L
  // tokens). By default composed of this backend's layer_norm, affine, mul and add
  // (backend_composites.cpp), which is what the CPU runs.
  virtual Tensor modulated_layer_norm(const Tensor& x, const Tensor& scale, const Tensor& shift, float eps);
  // FLUX's gated residual, fused likewise: x + gate · y, gate [B, 1, D] broadcast over L.
  virtual Tensor gated_add(const Tensor& x, const Tensor& gate, const Tensor& y);
  virtual Tensor softmax(const Tensor& x) = 0;  // over the last dimension

  virtual Tensor activation(const Tensor& x, Activation a) = 0;
  virtual Tensor leaky_relu(const Tensor& x, float slope) = 0;
  // PReLU with one slope per channel (dimension 1) or a single shared slope.
  virtual Tensor prelu(const Tensor& x, const Tensor& slope) = 0;
  // Elementwise with NumPy broadcasting.
  virtual Tensor binary(const Tensor& a, const Tensor& b, Binary op) = 0;
  // x * mul + add.
  virtual Tensor affine(const Tensor& x, float mul, float add) = 0;
  virtual Tensor clamp(const Tensor& x, float lo, float hi) = 0;

  virtual Tensor permute(const Tensor& x, const std::vector<int>& dims) = 0;
  virtual Tensor concat(const std::vector<Tensor>& parts, int dim) = 0;
  virtual Tensor slice(const Tensor& x, int dim, int64_t start, int64_t end) = 0;
  // Rows of `table` ([V, D], any dtype) for integer ids of any shape -> [*ids.shape, D].
  virtual Tensor embedding(const Tensor& ids, const Tensor& table) = 0;

  // Rotary embedding on interleaved pairs (x[2i], x[2i+1]) of x [B, H, L, D] with cos/sin [L, D/2]
  // (or [B, L, D/2]): out = (c·x0 − s·x1, s·x0 + c·x1), as FLUX's apply_rope.
  virtual Tensor rope(const Tensor& x, const Tensor& cos, const Tensor& sin) = 0;

  // x [N, C, H, W]; weight [O, C/groups, kh, kw] in any dtype.
  virtual Tensor conv2d(const Tensor& x, const Tensor& weight, const Tensor* bias, int stride, int padding,
                        int groups) = 0;
  virtual Tensor pad2d(const Tensor& x, int left, int right, int top, int bottom, float value) = 0;
  virtual Tensor upsample_nearest(const Tensor& x, int factor) = 0;
  virtual Tensor pixel_shuffle(const Tensor& x, int factor) = 0;
  virtual Tensor pixel_unshuffle(const Tensor& x, int factor) = 0;
  virtual Tensor max_pool2d(const Tensor& x, int kernel, int stride, int padding) = 0;

 protected:
  static void check_device_index(int index);
};

// The backend for a device; throws when that device's backend is not available.
Backend& backend_for(Device device);
// CUDA builds register their backend at start-up.
void register_backend(Device device, Backend* backend);
// Whether a backend is registered for the device (a usable GPU was found).
bool backend_available(Device device);

}  // namespace fluxgen
