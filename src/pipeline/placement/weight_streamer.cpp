#include "pipeline/placement/weight_streamer.h"

#include <cstdlib>

#include "util/error.h"

namespace fluxgen {

std::optional<size_t> flux_block_index(const std::string& name, int64_t depth) {
  for (const auto& [kind, base] : {std::pair<std::string, int64_t>{"double_blocks.", 0}, {"single_blocks.", depth}}) {
    size_t at = name.find(kind);
    // A key component, not the tail of another name ("x.double_blocks.1" or at the start).
    while (at != std::string::npos && at != 0 && name[at - 1] != '.') at = name.find(kind, at + 1);
    if (at == std::string::npos) continue;
    const char* digits = name.c_str() + at + kind.size();
    char* end = nullptr;
    const long n = std::strtol(digits, &end, 10);
    if (end == digits || *end != '.' || n < 0) continue;
    return static_cast<size_t>(base + n);
  }
  return std::nullopt;
}

WeightStreamer::WeightStreamer(flux::FluxModel& model, const std::vector<size_t>& streamed, Backend& device)
    : device_(device) {
  const int64_t depth = model.config().depth;
  for (size_t index : streamed) groups_[index];
  for (const auto& [name, layer] : model.linear_layers()) {
    const auto index = flux_block_index(name, depth);
    if (index && groups_.count(*index)) groups_[*index].layers.push_back(layer);
  }
}

std::optional<size_t> WeightStreamer::next_streamed(size_t index) const {
  if (groups_.empty()) return std::nullopt;
  auto it = groups_.upper_bound(index);
  // After the last streamed block comes the first one of the next step.
  return it == groups_.end() ? groups_.begin()->first : it->first;
}

void WeightStreamer::start_upload(size_t index) {
  Group& g = groups_.at(index);
  g.host.clear();
  g.device.clear();
  for (nn::Linear* layer : g.layers) {
    g.host.push_back(layer->weight());
    g.device.push_back(device_.upload_weight_async(layer->weight()));
  }
  ++uploads_;
}

void WeightStreamer::swap_back(size_t index) {
  Group& g = groups_.at(index);
  for (size_t k = 0; k < g.layers.size() && k < g.host.size(); ++k) g.layers[k]->set_weight(g.host[k]);
  g.host.clear();
  g.device.clear();  // the device copies go back to the allocator's cache
}

void WeightStreamer::before_block(size_t index) {
  // A forward that threw (out of memory, an interrupt) may have left a block swapped in.
  if (in_use_) swap_back(*in_use_), in_use_.reset();
  if (!groups_.count(index)) return;
  if (prefetched_ != index) {
    if (prefetched_) {
      // Its copy may still be in flight: nothing may reuse those blocks before it lands.
      device_.wait_for_uploads();
      groups_.at(*prefetched_).device.clear();
      groups_.at(*prefetched_).host.clear();
    }
    start_upload(index);
  }
  prefetched_.reset();
  device_.wait_for_uploads();
  Group& g = groups_.at(index);
  for (size_t k = 0; k < g.layers.size(); ++k) g.layers[k]->set_weight(g.device[k]);
  in_use_ = index;
  // The next streamed block's copy runs while this one computes.
  const auto next = next_streamed(index);
  if (next && *next != index) {
    start_upload(*next);
    prefetched_ = next;
  }
}

void WeightStreamer::after_block(size_t index) {
  if (in_use_ != index) return;
  swap_back(index);
  in_use_.reset();
}

}  // namespace fluxgen
