#include "models/esrgan/sr_checkpoint.h"

#include <algorithm>
#include <cctype>
#include <map>
#include <optional>
#include <set>
#include <vector>

#include "tensor/convert.h"
#include "util/error.h"
#include "util/strings.h"

namespace fluxgen {
namespace {

std::vector<std::string> split(const std::string& s) {
  std::vector<std::string> parts;
  size_t start = 0;
  for (size_t i = 0; i <= s.size(); ++i)
    if (i == s.size() || s[i] == '.') {
      parts.push_back(s.substr(start, i - start));
      start = i + 1;
    }
  return parts;
}

std::optional<int64_t> index_of(const std::string& s) {
  if (s.empty() || s.size() > 9 || !std::all_of(s.begin(), s.end(), [](char c) { return std::isdigit(static_cast<unsigned char>(c)); }))
    return std::nullopt;
  return std::stoll(s);
}

bool is_param(const std::string& s) { return s == "weight" || s == "bias"; }

// "RDB2" / "rdb2" -> 2 (1..3); "conv4" -> 4 (1..5).
std::optional<int> numbered(const std::string& s, const std::string& stem, int lo, int hi) {
  if (s.size() != stem.size() + 1 || !starts_with(s, stem)) return std::nullopt;
  const int n = s.back() - '0';
  if (n < lo || n > hi) return std::nullopt;
  return n;
}

// body.N.rdbK.convJ.<param> from the pieces of any RRDBNet naming.
std::string body_name(int64_t block, int rdb, int conv, const std::string& param) {
  return "body." + std::to_string(block) + ".rdb" + std::to_string(rdb) + ".conv" + std::to_string(conv) + "." + param;
}

// The original ESRGAN Sequential: model.0 conv_first; model.1 the shortcut block (sub.N RRDBs,
// sub.NB trunk conv); then upsampling convs, the HR conv and the last conv at increasing indices.
std::map<std::string, std::string> rename_original(const std::vector<std::string>& names, const std::string& what) {
  std::set<int64_t> tail;
  for (const auto& n : names) {
    const auto p = split(n);
    if (p.size() == 3 && p[0] == "model" && p[2] == "weight")
      if (auto i = index_of(p[1]); i && *i >= 2) tail.insert(*i);
  }
  check(tail.size() >= 2, what, ": an ESRGAN checkpoint (model.N naming) needs an HR conv and a last conv after model.1");
  std::map<int64_t, std::string> tail_names;
  const std::vector<int64_t> order(tail.begin(), tail.end());
  for (size_t k = 0; k + 2 < order.size(); ++k) tail_names[order[k]] = "conv_up" + std::to_string(k + 1);
  tail_names[order[order.size() - 2]] = "conv_hr";
  tail_names[order.back()] = "conv_last";

  std::map<std::string, std::string> out;
  for (const auto& n : names) {
    const auto p = split(n);
    std::string canonical;
    if (p.size() == 3 && p[0] == "model" && p[1] == "0" && is_param(p[2])) {
      canonical = "conv_first." + p[2];
    } else if (p.size() == 3 && p[0] == "model" && is_param(p[2])) {
      if (auto i = index_of(p[1]); i && tail_names.count(*i)) canonical = tail_names[*i] + "." + p[2];
    } else if (p.size() == 5 && p[0] == "model" && p[1] == "1" && p[2] == "sub" && is_param(p[4])) {
      if (index_of(p[3])) canonical = "conv_body." + p[4];  // the trunk conv closing the shortcut block
    } else if (p.size() == 8 && p[0] == "model" && p[1] == "1" && p[2] == "sub" && p[6] == "0" && is_param(p[7])) {
      const auto block = index_of(p[3]);
      const auto rdb = numbered(p[4], "RDB", 1, 3);
      const auto conv = numbered(p[5], "conv", 1, 5);
      if (block && rdb && conv) canonical = body_name(*block, *rdb, *conv, p[7]);
    }
    check(!canonical.empty(), what, ": tensor ", n, " does not belong to an ESRGAN RRDBNet (original naming)");
    check(out.emplace(n, canonical).second, what, ": duplicate tensor ", n);
  }
  return out;
}

// xinntao's ESRGAN "new arch" naming.
std::map<std::string, std::string> rename_new_arch(const std::vector<std::string>& names, const std::string& what) {
  static const std::map<std::string, std::string> kSimple = {{"conv_first", "conv_first"}, {"trunk_conv", "conv_body"},
                                                             {"HRconv", "conv_hr"}, {"conv_last", "conv_last"}};
  std::map<std::string, std::string> out;
  for (const auto& n : names) {
    const auto p = split(n);
    std::string canonical;
    if (p.size() == 2 && is_param(p[1])) {
      if (auto it = kSimple.find(p[0]); it != kSimple.end()) canonical = it->second + "." + p[1];
      if (auto up = numbered(p[0], "upconv", 1, 9)) canonical = "conv_up" + std::to_string(*up) + "." + p[1];
    } else if (p.size() == 5 && p[0] == "RRDB_trunk" && is_param(p[4])) {
      const auto block = index_of(p[1]);
      const auto rdb = numbered(p[2], "RDB", 1, 3);
      const auto conv = numbered(p[3], "conv", 1, 5);
      if (block && rdb && conv) canonical = body_name(*block, *rdb, *conv, p[4]);
    }
    check(!canonical.empty(), what, ": tensor ", n, " does not belong to an ESRGAN RRDBNet (RRDB_trunk naming)");
    out.emplace(n, canonical);
  }
  return out;
}

// BasicSR / Real-ESRGAN naming: already canonical, only validated.
std::map<std::string, std::string> check_basicsr(const std::vector<std::string>& names, const std::string& what) {
  std::map<std::string, std::string> out;
  for (const auto& n : names) {
    const auto p = split(n);
    bool ok = false;
    if (p.size() == 2 && is_param(p[1]))
      ok = p[0] == "conv_first" || p[0] == "conv_body" || p[0] == "conv_hr" || p[0] == "conv_last" ||
           numbered(p[0], "conv_up", 1, 9).has_value();
    else if (p.size() == 5 && p[0] == "body" && is_param(p[4]))
      ok = index_of(p[1]) && numbered(p[2], "rdb", 1, 3) && numbered(p[3], "conv", 1, 5);
    check(ok, what, ": tensor ", n, " does not belong to a BasicSR RRDBNet");
    out.emplace(n, n);
  }
  return out;
}

std::map<std::string, std::string> check_compact(const std::vector<std::string>& names, const std::string& what) {
  std::map<std::string, std::string> out;
  for (const auto& n : names) {
    const auto p = split(n);
    check(p.size() == 3 && p[0] == "body" && index_of(p[1]) && is_param(p[2]), what, ": tensor ", n,
          " does not belong to an SRVGGNetCompact (body.N.weight/bias)");
    out.emplace(n, n);
  }
  return out;
}

}  // namespace

SrCheckpoint read_sr_checkpoint(const TensorStore& file) {
  const std::string what = file.source();
  std::vector<std::string> all = file.names();
  // Unwrap {"params_ema": ...} before {"params": ...}, as Real-ESRGAN's loader prefers the EMA weights.
  std::string prefix;
  for (const char* p : {"params_ema.", "params."})
    if (std::any_of(all.begin(), all.end(), [&](const std::string& n) { return starts_with(n, p); })) {
      prefix = p;
      break;
    }
  std::vector<std::string> names;
  for (const auto& n : all)
    if (starts_with(n, prefix)) names.push_back(n.substr(prefix.size()));
  if (!names.empty() && std::all_of(names.begin(), names.end(), [](const std::string& n) { return starts_with(n, "module."); })) {
    prefix += "module.";
    for (auto& n : names) n = n.substr(7);
  }
  check(!names.empty(), what, ": holds no tensors");
  auto has = [&](const std::string& n) { return std::find(names.begin(), names.end(), n) != names.end(); };

  SrCheckpoint out;
  std::map<std::string, std::string> renames;
  if (has("model.0.weight") && has("model.1.sub.0.RDB1.conv1.0.weight")) {
    out.layout = "ESRGAN (original naming)";
    renames = rename_original(names, what);
  } else if (has("conv_first.weight") && has("RRDB_trunk.0.RDB1.conv1.weight")) {
    out.layout = "ESRGAN (RRDB_trunk naming)";
    renames = rename_new_arch(names, what);
  } else if (has("conv_first.weight") && has("body.0.rdb1.conv1.weight")) {
    out.layout = "BasicSR/Real-ESRGAN";
    renames = check_basicsr(names, what);
  } else if (has("body.0.weight") && !has("conv_first.weight")) {
    out.architecture = SrArchitecture::SRVGGNetCompact;
    out.layout = "Real-ESRGAN compact (SRVGGNetCompact)";
    renames = check_compact(names, what);
  } else {
    fail(what, ": not an ESRGAN/Real-ESRGAN upscaler (expected model.0 + model.1.sub.* (ESRGAN), conv_first + body.* "
               "(BasicSR), conv_first + RRDB_trunk.* (ESRGAN new arch) or body.0 (compact) tensors; found ",
         names.front(), ", ...)");
  }
  std::map<std::string, Tensor> tensors;
  for (const auto& [name, canonical] : renames) {
    check(tensors.emplace(canonical, to_f32(file.get(prefix + name))).second, what, ": tensors map twice onto ",
          canonical);
  }
  out.store = std::make_shared<MemoryStore>(what, std::move(tensors));
  return out;
}

}  // namespace fluxgen
