#include "lora/lora_reader.h"

#include <filesystem>
#include <map>
#include <set>

#include "tensor/convert.h"
#include "util/error.h"
#include "util/strings.h"

namespace fluxgen::lora {

namespace {

enum class Role { Down, Up, Alpha };

struct KeyParse {
  std::string module;
  Role role;
};

// Splits "<module>.<suffix>" for the plain-LoRA suffixes; nullopt for anything else.
std::optional<KeyParse> parse_key(const std::string& key) {
  static const std::pair<const char*, Role> kSuffixes[] = {
      {".lora_down.weight", Role::Down}, {".lora_up.weight", Role::Up},
      {".lora_A.weight", Role::Down},    {".lora_B.weight", Role::Up},
      {".lora_A.default.weight", Role::Down}, {".lora_B.default.weight", Role::Up},
      {".lora.down.weight", Role::Down}, {".lora.up.weight", Role::Up},
      {".alpha", Role::Alpha},
  };
  for (const auto& [suffix, role] : kSuffixes)
    if (ends_with(key, suffix)) return KeyParse{key.substr(0, key.size() - std::string_view(suffix).size()), role};
  return std::nullopt;
}

// The name of an unsupported adapter kind a key belongs to, or "".
std::string unsupported_kind(const std::string& key) {
  if (key.find("lokr_") != std::string::npos) return "LoKr";
  if (key.find("hada_") != std::string::npos) return "LoHa";
  if (ends_with(key, ".dora_scale") || key.find("lora_magnitude_vector") != std::string::npos) return "DoRA";
  if (ends_with(key, ".diff") || ends_with(key, ".diff_b")) return "full weight difference";
  if (key.find(".lora_mid.") != std::string::npos) return "LoCon (convolution) LoRA";
  if (ends_with(key, ".on_input") || key.find(".oft_") != std::string::npos) return "OFT/BOFT";
  return "";
}

struct Pending {
  Tensor down, up;
  std::optional<float> alpha;
};

}  // namespace

LoraSet read_lora(const TensorStore& file, const TargetResolver& resolver) {
  LoraSet out;
  out.path = file.source();
  out.name = std::filesystem::path(file.source()).stem().string();
  std::map<std::string, Pending> modules;
  std::map<std::string, std::set<std::string>> unsupported;  // kind -> example keys
  std::vector<std::string> unknown;
  for (const auto& key : file.names()) {
    const std::string kind = unsupported_kind(key);
    if (!kind.empty()) {
      unsupported[kind].insert(key);
      continue;
    }
    const auto parsed = parse_key(key);
    if (!parsed) {
      unknown.push_back(key);
      continue;
    }
    Pending& p = modules[parsed->module];
    const Tensor t = file.get(key);
    switch (parsed->role) {
      case Role::Down: p.down = t; break;
      case Role::Up: p.up = t; break;
      case Role::Alpha:
        check(t.numel() == 1, file.source(), ": tensor ", key, " should be a scalar alpha, got ", t.describe());
        p.alpha = to_vector(t)[0];
        break;
    }
  }
  // DoRA stores a plain LoRA plus a magnitude: applying only the LoRA part would be wrong, so
  // those modules are dropped together with their magnitude.
  if (unsupported.count("DoRA"))
    for (const auto& k : unsupported["DoRA"]) {
      const std::string module = k.substr(0, k.rfind('.'));
      modules.erase(module);
    }

  std::vector<std::string> unmatched;
  std::map<std::pair<Component, std::string>, size_t> target_index;
  for (auto& [module, p] : modules) {
    if (!p.down.defined() || !p.up.defined()) {
      fail(file.source(), ": LoRA module ", module, " has ", p.down.defined() ? "a down" : "an up",
           " matrix but no ", p.down.defined() ? "up" : "down", " matrix");
    }
    if (p.down.ndim() != 2 || p.up.ndim() != 2) {
      unsupported["LoCon (convolution) LoRA"].insert(module);
      continue;
    }
    const int64_t rank = p.down.dim(0);
    if (rank <= 0 || p.up.dim(1) != rank)
      fail(file.source(), ": LoRA module ", module, ": down ", p.down.describe(), " and up ", p.up.describe(),
           " disagree on the rank");
    const auto target = resolver.resolve(module);
    if (!target) {
      unmatched.push_back(module);
      continue;
    }
    LoraPart part;
    part.down = p.down;
    part.up = p.up;
    part.scale = p.alpha ? *p.alpha / static_cast<float>(rank) : 1.0f;
    part.row_begin = target->row_begin;
    part.swap_halves = target->swap_halves;
    part.key = module;
    const auto id = std::make_pair(target->component, target->module);
    auto it = target_index.find(id);
    if (it == target_index.end()) {
      target_index[id] = out.targets.size();
      out.targets.push_back({target->component, target->module, {}});
      it = target_index.find(id);
    }
    out.targets[it->second].parts.push_back(std::move(part));
  }

  for (const auto& [kind, keys] : unsupported)
    out.warnings.push_back(out.name + ": " + std::to_string(keys.size()) + " " + kind +
                           " tensors are not supported by fluxgen and were skipped (e.g. " + *keys.begin() + ")");
  if (!unmatched.empty()) {
    std::string list;
    for (size_t i = 0; i < unmatched.size() && i < 8; ++i) list += (i ? ", " : "") + unmatched[i];
    if (unmatched.size() > 8) list += ", ...";
    out.warnings.push_back(out.name + ": " + std::to_string(unmatched.size()) +
                           " LoRA modules match no weight of FLUX or its text encoders: " + list);
  }
  if (!unknown.empty())
    out.warnings.push_back(out.name + ": " + std::to_string(unknown.size()) + " tensors are not LoRA tensors (e.g. " +
                           unknown.front() + ")");
  if (out.targets.empty()) {
    std::string why = unsupported.empty() ? "no key names a FLUX or text-encoder weight" : "it only holds ";
    if (!unsupported.empty()) {
      std::vector<std::string> kinds;
      for (const auto& [k, v] : unsupported) kinds.push_back(k);
      why += join(kinds, ", ") + " tensors, which fluxgen does not support";
    }
    fail(file.source(), ": not usable as a FLUX LoRA: ", why);
  }
  return out;
}

LoraSet read_lora_file(const std::string& path, const TargetResolver& resolver) {
  return read_lora(*open_tensor_store(path), resolver);
}

}  // namespace fluxgen::lora
