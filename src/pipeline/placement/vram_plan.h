// The VRAM planner: given a budget, which FLUX blocks stay resident on the device and which
// stream from page-locked host memory, and whether the text encoders fit beside the transformer.
// Sizes are counted in each tensor's storage dtype (what the device holds), from the file's
// header alone, before anything is loaded.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "io/tensor_store.h"
#include "models/flux/flux_config.h"

namespace fluxgen {

// What one FLUX forward needs on the device besides the weights: the largest image a job samples
// (HiRes.fix's second pass included), its batch, the text tokens and the activation dtype's size.
struct FluxWorkload {
  int64_t width = 1024, height = 1024;  // pixels
  int64_t latent_factor = 8;            // the autoencoder's downscale (image tokens are 2x2 latents)
  int64_t text_tokens = 512;
  int64_t batch = 1;
  int activation_bytes = 2;             // BF16 on the GPU, 4 for F32
  // Weights the job's other models (its upscaler, its ADetailer detectors) will add on the device
  // beside the transformer, not yet loaded (ModelManager::auxiliary_device_bytes).
  uint64_t auxiliary_bytes = 0;
  int64_t image_tokens() const { return (height / (2 * latent_factor)) * (width / (2 * latent_factor)); }
};

// Peak bytes of activations of one forward: the widest intermediate (a single block's fused
// linear1 output), the tensors live beside it, and the reused buffer a quantized weight is
// decoded into.
uint64_t flux_activation_bytes(const flux::FluxConfig& c, const FluxWorkload& w);

struct FluxWeightSizes {
  uint64_t outside_blocks = 0;       // embedders, final layer
  std::vector<uint64_t> blocks;      // per block, FluxModel::set_block_hooks numbering
  std::vector<uint64_t> block_linear;  // the part of each block that can stream (linear weights)
  uint64_t total() const;
};
// Bytes each part holds once loaded with `storage` (nullopt: as in the file).
FluxWeightSizes flux_weight_sizes(const TensorStore& store, const std::string& prefix, const flux::FluxConfig& c,
                                  std::optional<DType> storage, int block_size);

struct FluxPlacementPlan {
  std::vector<size_t> streamed;  // block indices whose linear weights stream
  uint64_t resident_bytes = 0;   // weights on the device
  uint64_t streamed_bytes = 0;   // weights in page-locked host memory
  uint64_t activation_bytes = 0;
  uint64_t peak_bytes = 0;       // the planned device peak: resident + two streamed blocks + activations
  std::string describe() const;  // one line for the log
};

// Keeps as many blocks resident as `budget` allows, streaming from the last block backwards (the
// first blocks also run outside the block loop, in the step cache's checks). Throws
// DeviceOutOfMemory naming the budget and the need when even streaming every block cannot fit.
// `reserved`: device bytes other models (the autoencoder) already hold.
FluxPlacementPlan plan_flux_placement(const FluxWeightSizes& sizes, uint64_t activation_bytes, uint64_t budget,
                                      uint64_t reserved);

}  // namespace fluxgen
