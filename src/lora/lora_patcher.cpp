#include "lora/lora_patcher.h"

#include <cstring>

#include "tensor/convert.h"
#include "util/error.h"
#include "util/strings.h"

namespace fluxgen::lora {

LoraPatcher::LoraPatcher(Component component, std::vector<std::pair<std::string, nn::Linear*>> linears,
                         Weights originals, int block_size)
    : component_(component), originals_(std::move(originals)), block_size_(block_size) {
  for (auto& [name, lin] : linears) linears_[name] = lin;
}

std::map<std::string, LoraPatcher::Update> LoraPatcher::collect(const std::vector<ActiveLora>& loras) const {
  // Gather every part per module first, then lay them out side by side: the rank dimension of the
  // combined update is the concatenation of all parts' ranks.
  struct Placed {
    const LoraPart* part;
    float factor;
    const LoraSet* set;
  };
  std::map<std::string, std::vector<Placed>> by_module;
  for (const ActiveLora& a : loras)
    for (const LoraTarget& t : a.set->targets)
      if (t.component == component_)
        for (const LoraPart& p : t.parts) by_module[t.module].push_back({&p, a.multiplier * p.scale, a.set});

  std::map<std::string, Update> out;
  for (const auto& [module, placed] : by_module) {
    auto it = linears_.find(module);
    if (it == linears_.end())
      fail(placed.front().set->path, ": LoRA module ", placed.front().part->key, " targets ", module,
           ", which this model does not have");
    const int64_t in = it->second->in_features(), rows_total = it->second->out_features();
    int64_t rank_total = 0;
    for (const Placed& pl : placed) {
      const LoraPart& p = *pl.part;
      if (p.down.dim(1) != in || p.row_begin + p.up.dim(0) > rows_total)
        fail(pl.set->path, ": LoRA module ", p.key, " (down ", p.down.describe(), ", up ", p.up.describe(),
             ") does not fit ", module, " [", rows_total, ", ", in, "]");
      rank_total += p.down.dim(0);
    }
    Update u{Tensor::zeros({rank_total, in}), Tensor::zeros({rows_total, rank_total})};
    int64_t col = 0;
    for (const Placed& pl : placed) {
      const LoraPart& p = *pl.part;
      const int64_t r = p.down.dim(0), rows = p.up.dim(0);
      const std::vector<float> down = to_vector(p.down), up = to_vector(p.up);
      std::memcpy(u.down.f32() + col * in, down.data(), down.size() * sizeof(float));
      for (int64_t i = 0; i < rows; ++i) {
        // diffusers' norm_out rows are (scale, shift); BFL's are (shift, scale).
        const int64_t src = p.swap_halves ? (i + rows / 2) % rows : i;
        float* dst = u.up.f32() + (p.row_begin + i) * rank_total + col;
        for (int64_t k = 0; k < r; ++k) dst[k] = up[static_cast<size_t>(src * r + k)] * pl.factor;
      }
      col += r;
    }
    out.emplace(module, std::move(u));
  }
  return out;
}

void LoraPatcher::restore(const std::string& module) {
  nn::Linear* lin = linears_.at(module);
  const Tensor original = originals_.get(module + ".weight");
  lin->set_weight(convert(original, lin->weight().dtype(), Overflow::Saturate, block_size_));
  merged_.erase(module);
}

size_t LoraPatcher::apply(const std::vector<ActiveLora>& loras, LoraMode mode) {
  const auto updates = collect(loras);
  for (auto& [name, lin] : linears_) lin->online_deltas().clear();
  // Undo merges that the new set does not redo.
  for (const std::string& module : std::set<std::string>(merged_))
    if (mode == LoraMode::Online || !updates.count(module)) restore(module);
  for (const auto& [module, u] : updates) {
    nn::Linear* lin = linears_.at(module);
    // A layer kept in a GGUF block type takes its LoRA online unless re-quantizing is asked for,
    // as ComfyUI-GGUF and Forge do: the merge would cost a GGUF type's precision once more.
    if (mode == LoraMode::Online || (mode == LoraMode::Merged && dtype_is_gguf_block(lin->weight().dtype()))) {
      lin->online_deltas().push_back(nn::LowRankDelta{u.down, u.up, 1.0f, 0});
      continue;
    }
    // Merge in fp32 from the original, then store in the format the layer uses.
    const Tensor original = originals_.get(module + ".weight");
    Tensor w = original.dtype() == DType::F32 ? original.clone() : to_f32(original);
    const Tensor delta = ops::linear(u.up, ops::permute(u.down, {1, 0}));  // [out, in]
    float* wp = w.f32();
    const float* dp = delta.f32();
    for (int64_t i = 0, n = w.numel(); i < n; ++i) wp[i] += dp[i];
    lin->set_weight(convert(w, lin->weight().dtype(), Overflow::Saturate, block_size_));
    merged_.insert(module);
  }
  return updates.size();
}

}  // namespace fluxgen::lora
