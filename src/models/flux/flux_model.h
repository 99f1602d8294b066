// The FLUX transformer (BFL's Flux): a tree of blocks named like the checkpoint keys. Loads the
// BFL layout, the diffusers layout (through diffusers_layout.h), all-in-one files (any prefix) and
// Forge's bnb pre-quantized files; block linear weights are converted to the chosen storage dtype
// tensor by tensor while loading (embedders, norms and biases stay as the file has them).
#pragma once
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "models/flux/double_stream_block.h"
#include "models/flux/flux_config.h"
#include "models/flux/last_layer.h"
#include "models/flux/single_stream_block.h"
#include "models/flux/step_cache.h"
#include "nn/storage_option.h"

namespace fluxgen::flux {

struct FluxInputs {
  Tensor img;      // [B, L, in_channels] packed latent tokens
  Tensor img_ids;  // [B, L, 3]
  Tensor txt;      // [B, T, context_in_dim]
  Tensor txt_ids;  // [B, T, 3]
  std::vector<float> timesteps;  // [B], sigma in [0, 1]
  std::vector<float> guidance;   // [B]; ignored when the model has no guidance embedding
  Tensor y;        // [B, vec_in_dim] pooled text vector
};

// A step's inputs as the blocks take them: what FluxModel::embed makes of FluxInputs (the host
// work of a step and its small layers), all on the device of img.
struct FluxStepInputs {
  Tensor img;      // [B, L, in_channels] packed latent tokens, as given
  Tensor txt;      // [B, T, hidden] after txt_in
  Tensor vec;      // [B, hidden] timestep + guidance + pooled-text modulation vector
  RopeTables pe;   // [B, T + L, head_dim / 2]
};

struct FluxLoadOptions {
  std::optional<DType> storage;            // nullopt: keep the file's dtypes
  const json::Value* config_override = nullptr;  // --model-config
  int block_size = 64;                     // NF4/FP4 block size
  // Wraps the weight store the modules load from (pipeline/placement puts them on a device);
  // source() stays the host store, where LoRA merges read the originals.
  // Called with the source store, the model's key prefix in it and the model's config.
  std::function<std::shared_ptr<const TensorStore>(std::shared_ptr<const TensorStore>, const std::string&,
                                                   const FluxConfig&)>
      place;
};

// Called around every block of a forward, double blocks numbered 0..depth-1, then single blocks
// depth..depth+single-1 (the weight streamer brings a block's weights in and out).
class BlockHooks {
 public:
  virtual ~BlockHooks() = default;
  virtual void before_block(size_t index) = 0;
  virtual void after_block(size_t index) = 0;
};

struct WeightUsage {
  int64_t tensors = 0;
  uint64_t bytes = 0;
};

class FluxModel {
 public:
  // `store` is any weight store holding a FLUX transformer (detected, any prefix or layout).
  static std::unique_ptr<FluxModel> load(std::shared_ptr<const TensorStore> store, const FluxLoadOptions& options);

  // `cache` (optional): the pass's step cache, which may replace most blocks by a cached residual.
  Tensor forward(const FluxInputs& in, StepCache* cache = nullptr) const;
  // forward without a step cache in its two halves: embed (host work: the timestep embedding, the
  // rope tables; and the small input layers), then blocks (device work only, from img_in to the
  // final layer: what a step graph captures).
  FluxStepInputs embed(const FluxInputs& in) const;
  Tensor blocks(const FluxStepInputs& s) const;
  // Whether hooks run around the blocks (the weight streamer's copies: no graph can hold those).
  bool has_block_hooks() const { return hooks_ != nullptr; }

  const FluxConfig& config() const { return config_; }
  // The weights in BFL names (for LoRA re-merging from the mapped originals).
  const Weights& source() const { return source_; }
  // Visits every linear layer, in checkpoint order.
  void for_each_linear(const nn::LinearVisitor& f);
  // Every linear layer with its BFL module name ("double_blocks.0.img_attn.qkv"), from its key.
  std::vector<std::pair<std::string, nn::Linear*>> linear_layers();
  // Bytes of every weight by dtype name, as held in memory now.
  std::map<std::string, WeightUsage> weight_usage();
  // One line per dtype: "BF16: 12 tensors, 1.2 MiB".
  std::string describe_weight_usage();
  // The storage block linear weights were converted to (nullopt: as in the file).
  std::optional<DType> storage() const { return storage_; }
  int block_size() const { return block_size_; }
  // Hooks around each block from now on (nullptr: none).
  void set_block_hooks(std::shared_ptr<BlockHooks> hooks) { hooks_ = std::move(hooks); }
  size_t block_count() const { return double_blocks.size() + single_blocks.size(); }

 private:
  void run_double_block(size_t i, Tensor& img, Tensor& txt, const Tensor& vec, const RopeTables& pe) const;
  // The single-stream blocks over [txt, img]; returns the image tokens.
  Tensor run_single_blocks(const Tensor& img, const Tensor& txt, const Tensor& vec, const RopeTables& pe) const;

  FluxConfig config_;
  Weights source_;
  std::optional<DType> storage_;
  int block_size_ = 64;
  nn::Linear img_in, txt_in;
  MLPEmbedder time_in, vector_in, guidance_in;
  std::vector<DoubleStreamBlock> double_blocks;
  std::vector<SingleStreamBlock> single_blocks;
  LastLayer final_layer;
  std::shared_ptr<BlockHooks> hooks_;
};

}  // namespace fluxgen::flux
