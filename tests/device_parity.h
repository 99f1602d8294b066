// The fixture models (FLUX with and without online LoRA, the autoencoder, CLIP, T5) run with their
// weights resident on a device (DeviceWeightStore) and their inputs uploaded there, each output
// compared with its golden reference. The CPU suite runs it on a stand-in device to prove the
// models never touch device memory on the host; tests/gpu runs it on the GPU.
#pragma once
#include <optional>
#include <string>
#include <vector>

#include "tensor/tensor.h"

namespace fluxgen::test {

struct DeviceParity {
  std::string name;  // "flux", "flux lora kohya (online)", "vae decode", "clip pooled", ...
  double error;      // relative L2 against the reference
};

struct DeviceParityOptions {
  Device device = Device::CUDA;
  // Float weights converted to this dtype on the host before they are placed (nullopt: as stored).
  std::optional<DType> weights;
};

std::vector<DeviceParity> run_device_parities(const DeviceParityOptions& options);

// The FLUX fixture (flux_bfl) with every block's linear weights streamed through a WeightStreamer
// against the same model resident on `device`, for the file's dtypes and nf4, over two forwards.
struct StreamingParity {
  std::string name;            // "file dtypes", "nf4"
  double step1 = 0, step2 = 0;  // relative L2 of each streamed forward against the resident one
  size_t blocks = 0;
  int64_t uploads_after_step1 = 0;  // blocks copied in during the first forward (+ the prefetch)
};
std::vector<StreamingParity> run_streaming_parities(Device device);

}  // namespace fluxgen::test
