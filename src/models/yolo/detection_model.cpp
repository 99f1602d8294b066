#include "models/yolo/detection_model.h"

#include <cmath>
#include <sstream>

#include "util/error.h"
#include "util/strings.h"

namespace fluxgen::yolo {

namespace {

// The layer table of yolov8.yaml: module class, base channels and base repeats (before the
// scale's multiples) of every layer that owns weights.
struct LayerSpec {
  int index;
  const char* type;
  int64_t channels;
  int64_t repeats;
};
constexpr LayerSpec kLayers[] = {
    {0, "Conv", 64, 1},    {1, "Conv", 128, 1},   {2, "C2f", 128, 3},     {3, "Conv", 256, 1},
    {4, "C2f", 256, 6},    {5, "Conv", 512, 1},   {6, "C2f", 512, 6},     {7, "Conv", 1024, 1},
    {8, "C2f", 1024, 3},   {9, "SPPF", 1024, 1},  {12, "C2f", 512, 3},    {15, "C2f", 256, 3},
    {16, "Conv", 256, 1},  {18, "C2f", 512, 3},   {19, "Conv", 512, 1},   {21, "C2f", 1024, 3},
};
constexpr const char* kLayerTypes[] = {
    "Conv", "Conv",     "C2f",    "Conv", "C2f", "Conv",   "C2f",    "Conv", "C2f", "SPPF",   "Upsample", "Concat",
    "C2f",  "Upsample", "Concat", "C2f",  "Conv", "Concat", "C2f",   "Conv", "Concat", "C2f", "Detect"};

// The scales of yolov8.yaml: depth, width, max channels.
struct ScaleSpec {
  const char* name;
  double depth, width;
  int64_t max_channels;
};
constexpr ScaleSpec kScales[] = {
    {"n", 0.33, 0.25, 1024}, {"s", 0.33, 0.50, 1024}, {"m", 0.67, 0.75, 768}, {"l", 1.00, 1.00, 512},
    {"x", 1.00, 1.25, 512},
};

// parse_model: channels make_divisible(min(c, max)·w, 8), repeats max(round(n·d), 1) when n > 1.
int64_t scaled_channels(int64_t c, double width, int64_t max_channels) {
  return static_cast<int64_t>(std::ceil(static_cast<double>(std::min(c, max_channels)) * width / 8.0)) * 8;
}
int64_t scaled_repeats(int64_t n, double depth) {
  return n > 1 ? std::max<int64_t>(static_cast<int64_t>(std::nearbyint(static_cast<double>(n) * depth)), 1) : n;
}

bool is_layer_prefix(const std::string& prefix) { return prefix.empty() || prefix.back() == '.'; }

// "…<digits>.dfl.conv.weight" -> the layer index, or -1.
int detect_layer_of(const std::string& name) {
  constexpr std::string_view tail = ".dfl.conv.weight";
  if (!ends_with(name, tail)) return -1;
  const std::string head = name.substr(0, name.size() - tail.size());
  size_t start = head.size();
  while (start > 0 && std::isdigit(static_cast<unsigned char>(head[start - 1]))) --start;
  if (start == head.size() || head.size() - start > 4) return -1;
  return std::stoi(head.substr(start));
}

}  // namespace

std::string find_yolo_prefix(const TensorStore& store) {
  constexpr std::string_view first = "0.conv.weight";
  std::vector<std::string> found;
  for (const std::string& name : store.names()) {
    if (!ends_with(name, first)) continue;
    const std::string prefix = name.substr(0, name.size() - first.size());
    if (is_layer_prefix(prefix) && store.contains(prefix + "22.cv3.0.2.weight")) found.push_back(prefix);
  }
  for (const char* preferred : {"model.model.", "model.", ""})
    for (const std::string& p : found)
      if (p == preferred) return p;
  if (!found.empty()) return found.front();
  for (const std::string& name : store.names()) {
    const int layer = detect_layer_of(name);
    if (layer >= 0 && layer != 22)
      fail(store.source(), ": the detection head is layer ", layer, " (", name,
           "); YOLOv8 has it at layer 22. Other YOLO generations (YOLOv5u, v9, v10, 11) and the P2/P6 variants "
           "are not supported");
  }
  fail(store.source(), ": not an Ultralytics YOLOv8 detection model (no tensors like model.model.0.conv.weight "
       "and model.model.22.cv3.0.2.weight)");
}

DetectionModel::DetectionModel(std::shared_ptr<const TensorStore> store, ModelInfo info)
    : info_(std::move(info)), device_(store->device()) {
  const std::string src = store->source();
  const std::string prefix = !info_.weights_prefix.empty() && store->contains(info_.weights_prefix + "0.conv.weight")
                                 ? info_.weights_prefix
                                 : find_yolo_prefix(*store);
  const Weights root(store, prefix);
  if (root.has("22.proto.cv1.conv.weight") || info_.head_class == "Segment" || info_.task == "segment")
    fail(src, ": segmentation models are not supported yet (this is a YOLOv8-seg checkpoint); use a detection "
         "model such as face_yolov8n.pt");
  if (root.has("22.cv4.0.0.conv.weight") || (!info_.head_class.empty() && info_.head_class != "Detect"))
    fail(src, ": the head of this model is ", info_.head_class.empty() ? std::string("not a plain Detect") : info_.head_class,
         " (pose, OBB or classification); only YOLOv8 detection models are supported");
  if (!info_.layer_classes.empty()) {
    const size_t n = std::size(kLayerTypes);
    for (size_t i = 0; i < std::max(n, info_.layer_classes.size()); ++i) {
      const std::string got = i < info_.layer_classes.size() ? info_.layer_classes[i] : std::string("(none)");
      const std::string want = i < n ? kLayerTypes[i] : std::string("(none)");
      if (got != want)
        fail(src, ": layer ", i, " is ", got, " where YOLOv8 has ", want,
             "; only the YOLOv8 detection architecture (yolov8.yaml) is supported");
    }
  }

  const Scope s{root, "model", &info_};
  l0_ = Conv(s.sub(0), 3, -1, 2);
  l1_ = Conv(s.sub(1), l0_.out_channels(), -1, 2);
  l2_ = C2f(s.sub(2), l1_.out_channels(), true);
  l3_ = Conv(s.sub(3), l2_.out_channels(), -1, 2);
  l4_ = C2f(s.sub(4), l3_.out_channels(), true);
  l5_ = Conv(s.sub(5), l4_.out_channels(), -1, 2);
  l6_ = C2f(s.sub(6), l5_.out_channels(), true);
  l7_ = Conv(s.sub(7), l6_.out_channels(), -1, 2);
  l8_ = C2f(s.sub(8), l7_.out_channels(), true);
  l9_ = SPPF(s.sub(9), l8_.out_channels());
  l12_ = C2f(s.sub(12), l9_.out_channels() + l6_.out_channels(), false);
  l15_ = C2f(s.sub(15), l12_.out_channels() + l4_.out_channels(), false);
  l16_ = Conv(s.sub(16), l15_.out_channels(), -1, 2);
  l18_ = C2f(s.sub(18), l16_.out_channels() + l12_.out_channels(), false);
  l19_ = Conv(s.sub(19), l18_.out_channels(), -1, 2);
  l21_ = C2f(s.sub(21), l19_.out_channels() + l9_.out_channels(), false);
  detect_ = Detect(s.sub(22), {l15_.out_channels(), l18_.out_channels(), l21_.out_channels()});

  if (info_.depth_multiple && info_.width_multiple) {
    const std::string bad = layout_mismatch(layout(), *info_.depth_multiple, *info_.width_multiple,
                                            info_.max_channels.value_or(int64_t(1) << 40));
    check(bad.empty(), src, ": the weights do not match the checkpoint's own yaml (depth ", *info_.depth_multiple,
          ", width ", *info_.width_multiple, "): ", bad);
  }
  scale_ = info_.scale.empty() ? scale_of_layout(layout()) : info_.scale;
}

LayerLayout DetectionModel::layout() const {
  auto c2f = [](const C2f& m) { return std::make_pair(m.out_channels(), static_cast<int64_t>(m.repeats())); };
  auto conv = [](const Conv& m) { return std::make_pair(m.out_channels(), int64_t{1}); };
  return {{0, conv(l0_)},   {1, conv(l1_)},   {2, c2f(l2_)},   {3, conv(l3_)},   {4, c2f(l4_)},
          {5, conv(l5_)},   {6, c2f(l6_)},    {7, conv(l7_)},  {8, c2f(l8_)},    {9, {l9_.out_channels(), 1}},
          {12, c2f(l12_)},  {15, c2f(l15_)},  {16, conv(l16_)}, {18, c2f(l18_)}, {19, conv(l19_)},
          {21, c2f(l21_)}};
}

std::string layout_mismatch(const LayerLayout& layout, double depth, double width, int64_t max_channels) {
  for (const LayerSpec& l : kLayers) {
    const auto it = layout.find(l.index);
    const int64_t want_c = scaled_channels(l.channels, width, max_channels), want_n = scaled_repeats(l.repeats, depth);
    std::ostringstream os;
    if (it == layout.end()) {
      os << "layer " << l.index << " (" << l.type << ") is missing";
      return os.str();
    }
    const auto [c, n] = it->second;
    if (c != want_c || n != want_n) {
      os << "layer " << l.index << " (" << l.type << ") has " << c << " channels and " << n << " repeats, expected "
         << want_c << " and " << want_n;
      return os.str();
    }
  }
  return "";
}

std::string scale_of_layout(const LayerLayout& layout) {
  for (const ScaleSpec& sc : kScales)
    if (layout_mismatch(layout, sc.depth, sc.width, sc.max_channels).empty()) return sc.name;
  return "";
}

Tensor DetectionModel::forward(const Tensor& image) const {
  check(image.ndim() == 4 && image.dim(0) == 1 && image.dim(1) == 3, "YOLO: expected an image [1, 3, H, W], got ",
        image.describe());
  const int64_t H = image.dim(2), W = image.dim(3);
  check(H % 32 == 0 && W % 32 == 0 && H > 0 && W > 0, "YOLO: the input size ", W, "x", H,
        " must be a multiple of 32 (letterbox the image first)");
  const Tensor x2 = l2_.forward(l1_.forward(l0_.forward(ops::to_device(image, device_))));
  const Tensor x4 = l4_.forward(l3_.forward(x2));
  const Tensor x6 = l6_.forward(l5_.forward(x4));
  const Tensor x9 = l9_.forward(l8_.forward(l7_.forward(x6)));
  const Tensor x12 = l12_.forward(ops::concat({ops::upsample_nearest(x9, 2), x6}, 1));
  const Tensor x15 = l15_.forward(ops::concat({ops::upsample_nearest(x12, 2), x4}, 1));
  const Tensor x18 = l18_.forward(ops::concat({l16_.forward(x15), x12}, 1));
  const Tensor x21 = l21_.forward(ops::concat({l19_.forward(x18), x9}, 1));
  const std::vector<Tensor> features = {x15, x18, x21};
  std::vector<int> strides;
  for (const Tensor& f : features) strides.push_back(static_cast<int>(H / f.dim(2)));
  return ops::to_host(detect_.forward(features, strides));
}

std::string DetectionModel::describe() const {
  std::ostringstream os;
  os << "YOLOv8" << scale_ << " (" << num_classes() << (num_classes() == 1 ? " class: " : " classes: ");
  for (int64_t c = 0; c < std::min<int64_t>(num_classes(), 8); ++c) os << (c ? ", " : "") << info_.class_name(c);
  if (num_classes() > 8) os << ", …";
  os << ")";
  return os.str();
}

}  // namespace fluxgen::yolo
