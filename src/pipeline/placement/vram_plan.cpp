#include "pipeline/placement/vram_plan.h"

#include <algorithm>
#include <numeric>
#include <sstream>

#include "pipeline/placement/weight_streamer.h"
#include "util/error.h"
#include "util/strings.h"

namespace fluxgen {

uint64_t flux_activation_bytes(const flux::FluxConfig& c, const FluxWorkload& w) {
  const uint64_t tokens = static_cast<uint64_t>(w.batch * (w.image_tokens() + w.text_tokens));
  const uint64_t H = static_cast<uint64_t>(c.hidden_size), M = static_cast<uint64_t>(c.mlp_hidden());
  // A single block holds x [H], its modulated copy [H], linear1's output [3H + M], q/k/v after the
  // split and RoPE [3H], the attention output [H], the activated MLP [M], their concatenation
  // [H + M] and linear2's output [H]; the double blocks hold less. Add the residual stream of
  // both token sets twice (the step cache keeps one more) and the model's input and output.
  const uint64_t per_token = (10 * H + 3 * M) + 4 * H;
  // The largest linear weight decoded into the compute dtype (one reused buffer).
  const uint64_t decoded = (3 * H + M) * H;
  return (tokens * per_token + decoded) * static_cast<uint64_t>(w.activation_bytes);
}

uint64_t FluxWeightSizes::total() const {
  return std::accumulate(blocks.begin(), blocks.end(), outside_blocks);
}

namespace {
uint64_t stored_bytes(DType dt, int64_t numel, int block_size) {
  uint64_t bytes = dtype_storage_bytes(dt, numel);
  if (dtype_is_quantized_block(dt)) bytes += static_cast<uint64_t>((numel + block_size - 1) / block_size) * 4;
  return bytes;
}
}  // namespace

FluxWeightSizes flux_weight_sizes(const TensorStore& store, const std::string& prefix, const flux::FluxConfig& c,
                                  std::optional<DType> storage, int block_size) {
  FluxWeightSizes s;
  const size_t blocks = static_cast<size_t>(c.depth + c.depth_single_blocks);
  s.blocks.assign(blocks, 0);
  s.block_linear.assign(blocks, 0);
  for (const std::string& name : store.names()) {
    if (name.compare(0, prefix.size(), prefix) != 0) continue;
    const std::string key = name.substr(prefix.size());
    const Shape shape = store.shape(name);
    const int64_t numel = std::accumulate(shape.begin(), shape.end(), int64_t{1}, std::multiplies<int64_t>());
    const auto index = flux_block_index(key, c.depth);
    // Block linear weights (2-D ".weight") take the storage dtype; everything else stays as stored.
    const bool linear = index && shape.size() == 2 && key.size() > 7 && key.compare(key.size() - 7, 7, ".weight") == 0;
    const DType dt = linear && storage ? *storage : store.dtype(name);
    const uint64_t bytes = stored_bytes(dt, numel, block_size);
    if (!index || *index >= blocks) {
      s.outside_blocks += bytes;
      continue;
    }
    s.blocks[*index] += bytes;
    if (linear) s.block_linear[*index] += bytes;
  }
  return s;
}

FluxPlacementPlan plan_flux_placement(const FluxWeightSizes& sizes, uint64_t activation_bytes, uint64_t budget,
                                      uint64_t reserved) {
  FluxPlacementPlan plan;
  plan.activation_bytes = activation_bytes;
  plan.resident_bytes = sizes.total();
  const auto peak = [&] {
    uint64_t largest = 0, second = 0;
    for (size_t i : plan.streamed) {
      const uint64_t b = sizes.block_linear[i];
      if (b > largest) second = largest, largest = b;
      else second = std::max(second, b);
    }
    return reserved + plan.resident_bytes + activation_bytes + largest + second;
  };
  plan.peak_bytes = peak();
  for (size_t i = sizes.blocks.size(); i-- > 0 && plan.peak_bytes > budget;) {
    plan.streamed.push_back(i);
    plan.resident_bytes -= sizes.block_linear[i];
    plan.streamed_bytes += sizes.block_linear[i];
    plan.peak_bytes = peak();
  }
  std::sort(plan.streamed.begin(), plan.streamed.end());
  if (plan.peak_bytes > budget)
    throw DeviceOutOfMemory("the transformer does not fit the VRAM budget of " + format_bytes(budget) +
                            " even with every block streamed: it needs " + format_bytes(plan.peak_bytes) + " (" +
                            format_bytes(plan.resident_bytes) + " of weights that stay, " +
                            format_bytes(activation_bytes) + " of activations, " + format_bytes(reserved) +
                            " held by other models); lower the image size or batch, or pick a smaller storage "
                            "(bnb-nf4)");
  return plan;
}

std::string FluxPlacementPlan::describe() const {
  std::ostringstream os;
  os << format_bytes(resident_bytes) << " of weights resident";
  if (!streamed.empty()) os << ", " << streamed.size() << " blocks (" << format_bytes(streamed_bytes) << ") streamed";
  os << ", " << format_bytes(activation_bytes) << " for activations, planned peak " << format_bytes(peak_bytes);
  return os.str();
}

}  // namespace fluxgen
