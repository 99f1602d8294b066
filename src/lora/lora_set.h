// The canonical form every LoRA naming is read into: for each target weight (a module of the
// FLUX transformer in BFL names, or of a text encoder) one or more low-rank parts, each covering
// a range of the target's output rows (q, k, v of a fused qkv), with its alpha/rank scale.
#pragma once
#include <string>
#include <vector>

#include "tensor/tensor.h"

namespace fluxgen::lora {

enum class Component { Transformer, ClipL, T5 };
const char* component_name(Component c);

struct LoraPart {
  Tensor down;           // [rank, in]
  Tensor up;             // [rows, rank]
  float scale = 1.0f;    // alpha / rank (1 when the file has no alpha)
  int64_t row_begin = 0; // first output row of the target this part updates
  bool swap_halves = false;  // diffusers norm_out: rows are (scale, shift), BFL wants (shift, scale)
  std::string key;       // the file's module key, for messages
};

struct LoraTarget {
  Component component;
  std::string module;  // e.g. "double_blocks.0.img_attn.qkv", "text_model.encoder.layers.0.self_attn.q_proj"
  std::vector<LoraPart> parts;
};

struct LoraSet {
  std::string path;
  std::string name;  // file stem, as <lora:NAME:W> refers to it
  std::vector<LoraTarget> targets;
  std::vector<std::string> warnings;  // unmatched keys, unsupported kinds
};

}  // namespace fluxgen::lora
