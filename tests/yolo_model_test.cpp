// The YOLOv8 detector: parity with Ultralytics on fixtures/yolo (a YOLOv8n saved by Ultralytics'
// own code, read from its pickled module tree), a YOLOv8 built here from the architecture rules
// whose Detect output is known in closed form, loading from safetensors, and every refusal.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>

#include "io/safetensors.h"
#include "models/yolo/checkpoint_info.h"
#include "models/yolo/letterbox.h"
#include "models/yolo/yolo_detector.h"
#include "tensor/convert.h"
#include "test_support.h"
#include "util/error.h"
#include "yolo_test_support.h"

namespace fluxgen {
namespace {

using test::error_of;

using test::TinyYoloBuilder;
using test::TinyYoloSpec;

const SafetensorsFile& yolo_io() {
  static const auto file = SafetensorsFile::open(test::fixture("yolo/yolo_io.safetensors"));
  return *file;
}

const yolo::YoloDetector& fixture_detector() {
  static const auto det = yolo::YoloDetector::load(test::fixture("yolo/yolov8n_tiny.pt"));
  return *det;
}

Image fixture_image() {
  const Tensor t = yolo_io().get("in.image_rgb");
  Image im(static_cast<int>(t.dim(1)), static_cast<int>(t.dim(0)), 3);
  std::memcpy(im.pixels.data(), t.raw_data(), im.pixels.size());
  return im;
}


TEST(YoloParity, ModuleTreeFactsAreRead) {
  const auto& m = fixture_detector().model();
  const yolo::ModelInfo& info = m.info();
  EXPECT_EQ(m.scale(), "n");
  EXPECT_EQ(m.num_classes(), 1);
  EXPECT_EQ(info.class_name(0), "0");
  EXPECT_EQ(info.task, "detect");
  EXPECT_EQ(info.imgsz, (std::pair<int, int>{640, 640}));
  EXPECT_EQ(info.head_class, "Detect");
  EXPECT_EQ(info.layer_classes.size(), 23u);
  EXPECT_DOUBLE_EQ(*info.depth_multiple, 0.33);
  EXPECT_DOUBLE_EQ(*info.width_multiple, 0.25);
  // This checkpoint's Conv modules hold ReLU, not Ultralytics' default SiLU: read, not assumed.
  EXPECT_EQ(info.activations.size(), 57u);
  EXPECT_EQ(info.activation_of("model.2.m.0.cv1").kind, yolo::ActivationSpec::Kind::ReLU);
  EXPECT_DOUBLE_EQ(info.batchnorm_eps_of("model.0.bn"), 1e-3);
  EXPECT_EQ(info.shortcut_of("model.4.m.1"), std::optional<bool>(true));
  EXPECT_EQ(info.shortcut_of("model.12.m.0"), std::optional<bool>(false));
}

TEST(YoloParity, RawOutputMatchesUltralytics) {
  const Tensor out = fixture_detector().model().forward(to_f32(convert(yolo_io().get("in.tensor"), DType::F32)));
  const Tensor ref = yolo_io().get("out.raw");
  ASSERT_EQ(out.shape(), ref.shape());
  const double err = test::rel_l2(out, ref);
  RecordProperty("rel_l2_raw", std::to_string(err));
  EXPECT_LT(err, 1e-4);
}

TEST(YoloParity, AssumingSiluWouldNotMatch) {
  // The same weights with the activation Ultralytics uses by default: the fixture tells them apart.
  const auto store = open_tensor_store(test::fixture("yolo/yolov8n_tiny.pt"));
  yolo::ModelInfo info;
  const yolo::DetectionModel silu(store, info);
  const Tensor out = silu.forward(to_f32(convert(yolo_io().get("in.tensor"), DType::F32)));
  EXPECT_GT(test::rel_l2(out, yolo_io().get("out.raw")), 1e-3);
}

TEST(YoloParity, LetterboxIsExact) {
  const yolo::Letterbox lb = yolo::letterbox(fixture_image());
  const Tensor x = yolo::letterbox_tensor(lb.image);
  const Tensor ref = yolo_io().get("in.letterboxed");
  ASSERT_EQ(x.shape(), ref.shape());
  EXPECT_EQ(test::max_abs_diff(x, ref), 0.0);
  EXPECT_EQ(lb.top, 12);
  EXPECT_EQ(lb.left, 0);
  EXPECT_DOUBLE_EQ(lb.ratio, 1.25);
}

TEST(YoloParity, PredictPathMatchesUltralytics) {
  const Image image = fixture_image();
  const yolo::Letterbox lb = yolo::letterbox(image);
  const Tensor raw = fixture_detector().model().forward(yolo::letterbox_tensor(lb.image));
  EXPECT_LT(test::rel_l2(raw, yolo_io().get("out.raw_letterboxed")), 1e-4);
  const Tensor boxes = yolo::detections_tensor(fixture_detector().detect(image));
  const Tensor ref = yolo_io().get("out.boxes");
  ASSERT_EQ(boxes.shape(), ref.shape());
  EXPECT_LT(test::max_abs_diff(boxes, ref), 1e-3);  // pixels (and confidences)
}

TEST(YoloParity, SafetensorsExportLoadsTheSame) {
  // The checkpoint's tensors under the same names, its activation carried in the metadata.
  const auto pt = open_tensor_store(test::fixture("yolo/yolov8n_tiny.pt"));
  std::vector<std::pair<std::string, Tensor>> tensors;
  for (const auto& name : pt->names()) tensors.emplace_back(name, pt->get(name));
  const std::string path = test::temp_dir() + "/yolov8n_tiny.safetensors";
  write_safetensors(path, tensors, {{"activation", "nn.ReLU()"}, {"names", R"({"0": "face"})"}});
  const auto det = yolo::YoloDetector::load(path);
  EXPECT_EQ(det->model().info().class_name(0), "face");
  const Tensor x = to_f32(convert(yolo_io().get("in.tensor"), DType::F32));
  EXPECT_EQ(test::max_abs_diff(det->model().forward(x), fixture_detector().model().forward(x)), 0.0);
}

TEST(YoloConv, BatchNormIsFoldedExactly) {
  // A 1×1 conv of weight 2 on one channel, BN γ 3, β 0.5, mean 1, var 0.25 − eps: scale 3/√0.25 = 6,
  // so y = ReLU(2·6·x + 0.5 − 1·6) = ReLU(12x − 5.5).
  auto store = std::make_shared<MemoryStore>("conv");
  store->put("m.conv.weight", Tensor::from_vector({1, 1, 1, 1}, {2}));
  store->put("m.bn.weight", Tensor::from_vector({1}, {3}));
  store->put("m.bn.bias", Tensor::from_vector({1}, {0.5f}));
  store->put("m.bn.running_mean", Tensor::from_vector({1}, {1}));
  store->put("m.bn.running_var", Tensor::from_vector({1}, {0.25f - 1e-3f}));
  yolo::ModelInfo info;
  info.activations["m"] = yolo::activation_from_class("torch.nn.modules.activation.ReLU");
  const yolo::Scope scope{Weights(store).sub("m"), "m", &info};
  const yolo::Conv conv(scope, 1, 1, 1);
  const Tensor y = conv.forward(Tensor::from_vector({1, 1, 1, 3}, {0.0f, 1.0f, 0.25f}));
  EXPECT_NEAR(y.f32()[0], 0.0f, 1e-5);
  EXPECT_NEAR(y.f32()[1], 6.5f, 1e-4);
  EXPECT_NEAR(y.f32()[2], 0.0f, 1e-5);  // 3 − 5.5 < 0
  // Saved already fused: conv.bias and no bn.
  auto fused = std::make_shared<MemoryStore>("fused");
  fused->put("m.conv.weight", Tensor::from_vector({1, 1, 1, 1}, {12}));
  fused->put("m.conv.bias", Tensor::from_vector({1}, {-5.5f}));
  const Tensor yf = yolo::Conv(yolo::Scope{Weights(fused).sub("m"), "m", &info}, 1, 1, 1)
                        .forward(Tensor::from_vector({1, 1, 1, 3}, {0.0f, 1.0f, 0.25f}));
  EXPECT_EQ(test::max_abs_diff(yf, y), 0.0);
  store->put("m.bn.running_var", Tensor::from_vector({1}, {-1}));
  EXPECT_NE(error_of([&] { yolo::Conv(scope, 1, 1, 1); }).find("variance"), std::string::npos);
  EXPECT_NE(error_of([&] { yolo::Conv(scope, 2, 1, 1); }).find("m.conv.weight"), std::string::npos);
}

TEST(YoloConv, ActivationsByClassName) {
  using K = yolo::ActivationSpec::Kind;
  EXPECT_EQ(yolo::activation_from_class("SiLU").kind, K::SiLU);
  EXPECT_EQ(yolo::activation_from_class("nn.Hardswish()").kind, K::Hardswish);
  EXPECT_FLOAT_EQ(yolo::activation_from_class("torch.nn.modules.activation.LeakyReLU", 0.1f).negative_slope, 0.1f);
  EXPECT_NE(error_of([] { yolo::activation_from_class("Mish"); }).find("Mish"), std::string::npos);
  const Tensor x = Tensor::from_vector({4}, {-4, -1, 1, 4});
  const Tensor h = yolo::apply_activation(x, {K::Hardswish});
  EXPECT_FLOAT_EQ(h.f32()[0], 0.0f);
  EXPECT_FLOAT_EQ(h.f32()[1], -1.0f / 3.0f);
  EXPECT_FLOAT_EQ(h.f32()[2], 4.0f / 6.0f);
  EXPECT_FLOAT_EQ(h.f32()[3], 4.0f);
}

// Expected Σ softmax(logits)·k over one side's reg_max bins, in double.
double expected_distance(const std::vector<float>& logits, size_t first, int bins) {
  double m = -1e300, sum = 0, acc = 0;
  for (int k = 0; k < bins; ++k) m = std::max(m, static_cast<double>(logits[first + static_cast<size_t>(k)]));
  for (int k = 0; k < bins; ++k) {
    const double e = std::exp(logits[first + static_cast<size_t>(k)] - m);
    sum += e;
    acc += e * k;
  }
  return acc / sum;
}

TEST(YoloDecode, DflAnchorsStridesAndScores) {
  TinyYoloSpec spec;
  spec.nc = 2;
  // Different distributions per level and side, so a mixed-up level, side or bin order shows.
  for (int level = 0; level < 3; ++level) {
    std::vector<float> box(64, 0.0f);
    for (int side = 0; side < 4; ++side) {
      box[static_cast<size_t>(side * 16 + (level * 3 + side * 2) % 16)] = 4.0f;
      box[static_cast<size_t>(side * 16 + (level + side * 5 + 1) % 16)] = 2.5f;
    }
    spec.box_bias.push_back(box);
    spec.cls_bias.push_back({static_cast<float>(level) - 1.0f, 0.5f * static_cast<float>(level)});
  }
  const yolo::DetectionModel model(TinyYoloBuilder(spec).store(), {});
  const int64_t H = 64, W = 96;
  Tensor x = Tensor::full({1, 3, H, W}, 0.5f);
  const Tensor out = model.forward(x);
  const int64_t cells = 8 * 12 + 4 * 6 + 2 * 3;
  ASSERT_EQ(out.shape(), (Shape{1, 6, cells}));
  int64_t i = 0;
  for (int level = 0; level < 3; ++level) {
    const int stride = 8 << level;
    const int64_t h = H / stride, w = W / stride;
    const auto& b = spec.box_bias[static_cast<size_t>(level)];
    const double l = expected_distance(b, 0, 16), t = expected_distance(b, 16, 16);
    const double r = expected_distance(b, 32, 16), bo = expected_distance(b, 48, 16);
    for (int64_t gy = 0; gy < h; ++gy)
      for (int64_t gx = 0; gx < w; ++gx, ++i) {
        const double ax = gx + 0.5, ay = gy + 0.5;
        const double want[6] = {(ax + (r - l) / 2) * stride, (ay + (bo - t) / 2) * stride, (l + r) * stride,
                                (t + bo) * stride, 1 / (1 + std::exp(-spec.cls_bias[static_cast<size_t>(level)][0])),
                                1 / (1 + std::exp(-spec.cls_bias[static_cast<size_t>(level)][1]))};
        for (int row = 0; row < 6; ++row)
          ASSERT_NEAR(out.f32()[row * cells + i], want[row], 1e-4 * std::max(1.0, std::abs(want[row])))
              << "level " << level << " cell " << gx << "," << gy << " row " << row;
      }
  }
}

TEST(YoloDecode, AnyScaleFromTheRules) {
  // The layouts parse_model builds for yolov8.yaml's scales, written out from the rules here:
  // channels ceil(min(c, max)·w / 8)·8, repeats max(round(n·d), 1) for n > 1.
  const std::pair<const char*, std::array<double, 3>> scales[] = {{"n", {0.33, 0.25, 1024}},
                                                                  {"s", {0.33, 0.50, 1024}},
                                                                  {"m", {0.67, 0.75, 768}},
                                                                  {"l", {1.00, 1.00, 512}},
                                                                  {"x", {1.00, 1.25, 512}}};
  const std::array<int64_t, 3> base[] = {{0, 64, 1},    {1, 128, 1},   {2, 128, 3},   {3, 256, 1},  {4, 256, 6},
                                         {5, 512, 1},   {6, 512, 6},   {7, 1024, 1},  {8, 1024, 3}, {9, 1024, 1},
                                         {12, 512, 3},  {15, 256, 3},  {16, 256, 1},  {18, 512, 3}, {19, 512, 1},
                                         {21, 1024, 3}};
  for (const auto& [name, m] : scales) {
    yolo::LayerLayout layout;
    for (const auto& [index, c, n] : base)
      layout[static_cast<int>(index)] = {
          static_cast<int64_t>(std::ceil(std::min<double>(static_cast<double>(c), m[2]) * m[1] / 8)) * 8,
          n > 1 ? std::max<int64_t>(std::llround(static_cast<double>(n) * m[0]), 1) : n};
    EXPECT_EQ(yolo::scale_of_layout(layout), name);
  }
  // Whole models built by the same rules: n and s (m, l and x only differ in size).
  for (const auto& [name, m] : {scales[0], scales[1]}) {
    TinyYoloSpec spec;
    spec.depth = m[0], spec.width = m[1], spec.max_channels = static_cast<int64_t>(m[2]);
    spec.nc = 80;
    spec.shared_buffer = true;
    const yolo::DetectionModel model(TinyYoloBuilder(spec).store(), {});
    EXPECT_EQ(model.scale(), name);
    EXPECT_EQ(model.num_classes(), 80);
    EXPECT_EQ(yolo::layout_mismatch(model.layout(), m[0], m[1], static_cast<int64_t>(m[2])), "");
  }
  // A custom width is still loaded, just not named.
  TinyYoloSpec custom;
  const yolo::DetectionModel tiny(TinyYoloBuilder(custom).store(), {});
  EXPECT_EQ(tiny.scale(), "");
  EXPECT_NE(yolo::layout_mismatch(tiny.layout(), 0.33, 0.25, 1024).find("layer 0"), std::string::npos);
}

TEST(YoloLoading, RefusesWhatItCannotRun) {
  TinyYoloSpec spec;
  auto tensors = TinyYoloBuilder(spec).build();
  auto with = [&](const std::map<std::string, Tensor>& t, yolo::ModelInfo info = {}) {
    return error_of([&] { yolo::DetectionModel(std::make_shared<MemoryStore>("m.safetensors", t), info); });
  };
  {
    auto seg = tensors;
    seg["model.model.22.proto.cv1.conv.weight"] = Tensor::zeros({8, 8, 3, 3});
    EXPECT_NE(with(seg).find("segmentation models are not supported yet"), std::string::npos);
  }
  {
    auto pose = tensors;
    pose["model.model.22.cv4.0.0.conv.weight"] = Tensor::zeros({8, 8, 3, 3});
    EXPECT_NE(with(pose).find("only YOLOv8 detection models"), std::string::npos);
  }
  {
    auto missing = tensors;
    missing.erase("model.model.6.m.1.cv2.bn.running_var");
    EXPECT_NE(with(missing).find("model.model.6.m.1.cv2.bn.running_var"), std::string::npos);
  }
  {
    auto wrong = tensors;
    wrong["model.model.3.conv.weight"] = Tensor::zeros({32, 5, 3, 3});
    EXPECT_NE(with(wrong).find("model.model.3.conv.weight"), std::string::npos);
  }
  {
    std::map<std::string, Tensor> other;  // a YOLO11-like layout: the head is layer 23
    other["model.model.23.dfl.conv.weight"] = Tensor::zeros({1, 16, 1, 1});
    EXPECT_NE(with(other).find("layer 23"), std::string::npos);
    EXPECT_NE(with({}).find("not an Ultralytics YOLOv8 detection model"), std::string::npos);
  }
  yolo::ModelInfo info;
  info.nc = 5;
  EXPECT_NE(with(tensors, info).find("nc = 5"), std::string::npos);
  info = {};
  info.depth_multiple = 1.0, info.width_multiple = 0.125;
  EXPECT_NE(with(tensors, info).find("do not match the checkpoint's own yaml"), std::string::npos);
  info = {};
  info.layer_classes = {"Conv", "Conv", "C3k2"};
  EXPECT_NE(with(tensors, info).find("layer 2 is C3k2"), std::string::npos);
  info = {};
  info.head_class = "Segment";
  EXPECT_NE(with(tensors, info).find("segmentation"), std::string::npos);

  const yolo::DetectionModel ok(std::make_shared<MemoryStore>("m", tensors), {});
  EXPECT_NE(error_of([&] { ok.forward(Tensor::zeros({1, 3, 48, 64})); }).find("multiple of 32"), std::string::npos);
  EXPECT_THROW(ok.forward(Tensor::zeros({1, 1, 64, 64})), Error);
}

TEST(YoloLoading, HostileAndBrokenFiles) {
  for (const char* name : {"pickles/hostile_system.pt", "pickles/hostile_eval.pt", "pickles/truncated.pt"})
    EXPECT_THROW(yolo::YoloDetector::load(test::fixture(name)), Error) << name;
  // A torch checkpoint that is no Ultralytics one.
  EXPECT_NE(error_of([] { yolo::YoloDetector::load(test::fixture("pickles/state_dict.pt")); }).find("Ultralytics"),
            std::string::npos);
  EXPECT_THROW(yolo::YoloDetector::load(test::temp_dir() + "/absent.pt"), Error);
}

TEST(YoloLoading, SafetensorsMetadata) {
  TinyYoloSpec spec;
  std::vector<std::pair<std::string, Tensor>> tensors;
  for (auto& [k, v] : TinyYoloBuilder(spec).build()) tensors.emplace_back(k, v);
  const std::string dir = test::temp_dir();
  write_safetensors(dir + "/a.safetensors", tensors, {{"names", R"(["face", "hand"])"}, {"nc", "2"}});
  const auto det = yolo::YoloDetector::load(dir + "/a.safetensors");
  EXPECT_EQ(det->model().info().class_name(1), "hand");
  EXPECT_EQ(det->model().info().class_name(7), "class7");
  write_safetensors(dir + "/b.safetensors", tensors, {{"activation", "Mish"}});
  EXPECT_NE(error_of([&] { yolo::YoloDetector::load(dir + "/b.safetensors"); }).find("Mish"), std::string::npos);
  write_safetensors(dir + "/d.safetensors", tensors, {{"imgsz", "[100, 641]"}});
  EXPECT_EQ(yolo::YoloDetector::load(dir + "/d.safetensors")->model().info().imgsz, (std::pair<int, int>{128, 672}));
  write_safetensors(dir + "/e.safetensors", tensors, {{"imgsz", "0"}});
  EXPECT_NE(error_of([&] { yolo::YoloDetector::load(dir + "/e.safetensors"); }).find("imgsz"), std::string::npos);
  write_safetensors(dir + "/c.safetensors", tensors, {{"names", R"({"x": "face"})"}});
  EXPECT_NE(error_of([&] { yolo::YoloDetector::load(dir + "/c.safetensors"); }).find("names"), std::string::npos);
}

TEST(YoloCli, EvalYoloWritesTheContractTensors) {
  FLUXGEN_REQUIRE_CLI();
  const std::string out = test::temp_dir() + "/yolo_out.safetensors";
  const auto r = test::run_fluxgen({"eval", "yolo", "--weights", test::fixture("yolo/yolov8n_tiny.pt"), "--inputs",
                                    test::fixture("yolo/yolo_io.safetensors"), "--output", out});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto o = SafetensorsFile::open(out);
  EXPECT_LT(test::rel_l2(o->get("out.raw"), yolo_io().get("out.raw")), 1e-4);
  EXPECT_LT(test::rel_l2(o->get("out.raw_letterboxed"), yolo_io().get("out.raw_letterboxed")), 1e-4);
  EXPECT_EQ(test::max_abs_diff(o->get("out.letterboxed"), yolo_io().get("in.letterboxed")), 0.0);
  ASSERT_EQ(o->get("out.boxes").shape(), yolo_io().get("out.boxes").shape());
  EXPECT_LT(test::max_abs_diff(o->get("out.boxes"), yolo_io().get("out.boxes")), 1e-3);
  const auto bad = test::run_fluxgen({"eval", "yolo", "--weights", test::fixture("pickles/hostile_eval.pt"), "--inputs",
                                      test::fixture("yolo/yolo_io.safetensors"), "--output", out});
  EXPECT_EQ(bad.exit_code, 1);
}

}  // namespace
}  // namespace fluxgen
