#include "models/yolo/model_info.h"

#include "io/json.h"
#include "io/tensor_store.h"
#include "util/error.h"

namespace fluxgen::yolo {

ActivationSpec ModelInfo::activation_of(const std::string& conv_path) const {
  const auto it = activations.find(conv_path);
  return it == activations.end() ? default_activation : it->second;
}

double ModelInfo::batchnorm_eps_of(const std::string& bn_path) const {
  const auto it = batchnorm_eps.find(bn_path);
  return it == batchnorm_eps.end() ? kDefaultBatchNormEps : it->second;
}

std::optional<bool> ModelInfo::shortcut_of(const std::string& bottleneck_path) const {
  const auto it = shortcuts.find(bottleneck_path);
  if (it == shortcuts.end()) return std::nullopt;
  return it->second;
}

std::string ModelInfo::class_name(int64_t c) const {
  if (c >= 0 && c < static_cast<int64_t>(names.size()) && !names[static_cast<size_t>(c)].empty())
    return names[static_cast<size_t>(c)];
  return "class" + std::to_string(c);
}

namespace {

// {"0": "face", "1": "hand"} or ["face", "hand"] -> names by index.
std::vector<std::string> parse_names(const json::Value& v, const std::string& what) {
  std::vector<std::string> names;
  if (v.is_array()) {
    for (const auto& n : v.as_array()) names.push_back(n.as_string());
    return names;
  }
  check(v.is_object(), what, ": metadata \"names\" must be a JSON object or array");
  for (const auto& [key, value] : v.as_object()) {
    size_t used = 0;
    int64_t index = -1;
    try {
      index = std::stoll(key, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    check(used == key.size() && index >= 0 && index < (int64_t(1) << 20), what, ": metadata \"names\" key \"", key,
          "\" is not a class index");
    if (static_cast<size_t>(index) >= names.size()) names.resize(static_cast<size_t>(index) + 1);
    names[static_cast<size_t>(index)] = value.as_string();
  }
  return names;
}

}  // namespace

std::pair<int, int> checked_imgsz(int64_t height, int64_t width, const std::string& what) {
  check(height > 0 && width > 0 && height <= 8192 && width <= 8192, what, ": imgsz ", height, "x", width,
        " is outside 1 … 8192");
  auto round_up = [](int64_t v) { return static_cast<int>((v + 31) / 32 * 32); };
  return {round_up(height), round_up(width)};
}

ModelInfo model_info_from_metadata(const TensorStore& store) {
  ModelInfo info;
  info.source = store.source();
  const std::string what = store.source();
  if (const std::string names = store.metadata("names"); !names.empty())
    info.names = parse_names(json::parse(names, what + ": metadata names"), what);
  if (const std::string nc = store.metadata("nc"); !nc.empty()) {
    const json::Value v = json::parse(nc, what + ": metadata nc");
    check(v.is_integer() && v.as_int() > 0, what, ": metadata nc must be a positive integer, got ", nc);
    info.nc = v.as_int();
  }
  if (const std::string imgsz = store.metadata("imgsz"); !imgsz.empty()) {
    const json::Value v = json::parse(imgsz, what + ": metadata imgsz");
    if (v.is_array() && v.size() == 2 && v.at(0).is_integer() && v.at(1).is_integer())
      info.imgsz = checked_imgsz(v.at(0).as_int(), v.at(1).as_int(), what);
    else if (v.is_integer())
      info.imgsz = checked_imgsz(v.as_int(), v.as_int(), what);
    else
      fail(what, ": metadata imgsz must be an integer or [height, width], got ", imgsz);
  }
  info.scale = store.metadata("scale");
  info.task = store.metadata("task");
  if (const std::string act = store.metadata("activation"); !act.empty()) {
    try {
      info.default_activation = activation_from_class(act);
    } catch (const Error& e) {
      fail(what, ": metadata activation: ", e.what());
    }
  }
  return info;
}

}  // namespace fluxgen::yolo
