// Applies LoRAs to a model's linear layers, in Forge's two modes:
//  merged ("bnb-nf4"):            W = requantize(dequantize(W₀) + Σ m·(α/r)·up·down), computed in
//                                 fp32 module by module from the mapped original W₀;
//  online ("bnb-nf4 (fp16 LoRA)"): W₀ stays as stored; each forward adds the low-rank delta in the
//                                 compute dtype (nn::Linear picks side path or folded delta).
// Layers stored in a GGUF block type (Q8_0 ... Q6_K) are always patched online.
// Re-applying with other LoRAs or multipliers never reloads the base model: online swaps deltas
// instantly, merged re-merges only the modules whose update changed or must be undone.
#pragma once
#include <map>
#include <set>
#include <string>
#include <vector>

#include "lora/lora_set.h"
#include "nn/modules.h"
#include "nn/storage_option.h"

namespace fluxgen::lora {

struct ActiveLora {
  const LoraSet* set;
  float multiplier;
};

class LoraPatcher {
 public:
  // `linears`: the model's layers by module name; `originals`: the weights as loaded from the file
  // (module name + ".weight"), to merge from; `block_size`: for re-quantizing NF4/FP4.
  LoraPatcher(Component component, std::vector<std::pair<std::string, nn::Linear*>> linears, Weights originals,
              int block_size = 64);
  // Makes exactly `loras` active (replacing what was applied before). Returns how many modules
  // were updated.
  size_t apply(const std::vector<ActiveLora>& loras, LoraMode mode);

 private:
  struct Update {
    Tensor down;  // [Σr, in] F32
    Tensor up;    // [out, Σr] F32, multipliers and α/r folded in, parts placed at their rows
  };
  std::map<std::string, Update> collect(const std::vector<ActiveLora>& loras) const;
  void restore(const std::string& module);

  Component component_;
  std::map<std::string, nn::Linear*> linears_;
  Weights originals_;
  int block_size_;
  std::set<std::string> merged_;  // modules whose stored weight currently includes a merge
};

}  // namespace fluxgen::lora
