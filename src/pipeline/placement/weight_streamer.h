// Streams the FLUX blocks the VRAM planner left on the host: before a streamed block runs, its
// linear weights (page-locked host copies in their storage dtype: nf4 moves a quarter of bf16's
// bytes) are swapped for device copies, and the copy of the next streamed block starts on the
// device's copy stream while this one computes (double buffering). After the block its device
// copies are dropped. The same kernels run in the same order as for resident weights, so the
// output is the same; at most two streamed blocks are on the device at once.
#pragma once
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "backend/backend.h"
#include "models/flux/flux_model.h"

namespace fluxgen {

class WeightStreamer final : public flux::BlockHooks {
 public:
  // `streamed`: the block indices (FluxModel::set_block_hooks numbering) whose linear weights
  // live on the host.
  WeightStreamer(flux::FluxModel& model, const std::vector<size_t>& streamed, Backend& device);

  void before_block(size_t index) override;
  void after_block(size_t index) override;
  // Blocks copied in so far (for tests and logs).
  int64_t uploads() const { return uploads_; }

 private:
  struct Group {
    std::vector<nn::Linear*> layers;
    std::vector<Tensor> host;    // the host weights while the device copies are in use
    std::vector<Tensor> device;  // copies in flight or in use
  };
  void start_upload(size_t index);
  void swap_back(size_t index);
  std::optional<size_t> next_streamed(size_t index) const;

  Backend& device_;
  std::map<size_t, Group> groups_;
  std::optional<size_t> in_use_, prefetched_;
  int64_t uploads_ = 0;
};

// The block index of a FLUX module name ("double_blocks.3.img_attn.qkv" -> 3, "single_blocks.2.linear1"
// -> depth + 2); nullopt outside the blocks. One rule for the planner, the store and the streamer.
std::optional<size_t> flux_block_index(const std::string& name, int64_t depth);

}  // namespace fluxgen
