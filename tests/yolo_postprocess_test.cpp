// Ultralytics' letterbox, NMS and box mapping against hand-computed values, and the whole detector
// on a YOLOv8 built from the architecture rules whose boxes are known in closed form.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "io/image/image_io.h"
#include "io/safetensors.h"
#include "models/yolo/letterbox.h"
#include "models/yolo/yolo_detector.h"
#include "test_support.h"
#include "util/error.h"
#include "yolo_test_support.h"

namespace fluxgen {
namespace {

using yolo::Detection;

// [1, 4 + nc, cells] from per-cell rows (cx, cy, w, h, scores...).
Tensor raw_from(const std::vector<std::vector<float>>& cells) {
  const int64_t rows = static_cast<int64_t>(cells[0].size()), n = static_cast<int64_t>(cells.size());
  Tensor t = Tensor::zeros({1, rows, n});
  for (int64_t c = 0; c < n; ++c)
    for (int64_t r = 0; r < rows; ++r) t.f32()[r * n + c] = cells[static_cast<size_t>(c)][static_cast<size_t>(r)];
  return t;
}

Image picture(int w, int h, int channels = 3) {
  Image im(w, h, channels);
  for (size_t i = 0; i < im.pixels.size(); ++i) im.pixels[i] = static_cast<uint8_t>((i * 37 + i / 7) % 251);
  return im;
}

TEST(YoloLetterbox, SizesAndPaddingAsUltralytics) {
  // 512×288: r = 1.25 -> 640×360, 280 mod 32 = 24 rows of padding, 12 + 12.
  auto lb = yolo::letterbox(picture(512, 288));
  EXPECT_EQ(lb.image.width, 640);
  EXPECT_EQ(lb.image.height, 384);
  EXPECT_EQ(lb.top, 12);
  // 130×96: r = 640/130, h = round(472.6) = 473, 167 mod 32 = 7: dh 3.5 -> top round(3.4) = 3,
  // bottom round(3.6) = 4.
  lb = yolo::letterbox(picture(130, 96));
  EXPECT_EQ(lb.resized_height, 473);
  EXPECT_EQ(lb.image.height, 480);
  EXPECT_EQ(lb.top, 3);
  // Python's round: 5·2.5 = 12.5 -> 12 and 3·2.5 = 7.5 -> 8 (ties to even).
  EXPECT_EQ(yolo::letterbox(picture(256, 5)).resized_height, 12);
  EXPECT_EQ(yolo::letterbox(picture(256, 3)).resized_height, 8);
  EXPECT_EQ(yolo::python_round(-0.1), 0);
  EXPECT_EQ(yolo::python_round(2.5), 2);
  // Width padding 19 (301 wide, not scaled): left round(9.4) = 9, right 10.
  lb = yolo::letterbox(picture(301, 640));
  EXPECT_EQ(lb.left, 9);
  EXPECT_EQ(lb.image.width, 320);
  EXPECT_EQ(lb.image.pixel(0, 0)[0], 114);
  EXPECT_EQ(lb.image.pixel(319, 5)[2], 114);
  // Gray and RGBA inputs become RGB.
  EXPECT_EQ(yolo::letterbox(picture(64, 64, 1)).image.channels, 3);
  EXPECT_EQ(yolo::letterbox(picture(64, 64, 4)).image.channels, 3);
  // The tensor is v / 255, a division (not v · (1/255)).
  Image all(256, 1, 3);
  for (int v = 0; v < 256; ++v) all.pixel(v, 0)[0] = static_cast<uint8_t>(v);
  const Tensor t = yolo::letterbox_tensor(all);
  for (int v = 0; v < 256; ++v) EXPECT_EQ(t.f32()[v], static_cast<float>(v) / 255.0f);
}

TEST(YoloNms, PerClassSuppressionAndOrder) {
  // cell 0: (40,40)-(60,60) class 0 0.9; cell 1: shifted by 2, IoU 360/440 = 0.82 with cell 0,
  // class 0 0.8 -> suppressed; cell 2: the same box as cell 1 but class 1 -> kept (boxes of other
  // classes are 7680 px away); cell 3: IoU 200/600 with cell 0 -> kept; cell 4: best score 0.24.
  const Tensor raw = raw_from({{50, 50, 20, 20, 0.9f, 0.1f},
                               {52, 50, 20, 20, 0.8f, 0.2f},
                               {52, 50, 20, 20, 0.1f, 0.85f},
                               {60, 50, 20, 20, 0.7f, 0.1f},
                               {200, 200, 10, 10, 0.2f, 0.24f}});
  const auto d = yolo::non_max_suppression(raw);
  ASSERT_EQ(d.size(), 3u);
  EXPECT_FLOAT_EQ(d[0].confidence, 0.9f);
  EXPECT_EQ(d[0].cls, 0);
  EXPECT_FLOAT_EQ(d[0].x1, 40);
  EXPECT_FLOAT_EQ(d[0].y2, 60);
  EXPECT_FLOAT_EQ(d[1].confidence, 0.85f);
  EXPECT_EQ(d[1].cls, 1);
  EXPECT_FLOAT_EQ(d[1].x1, 42);  // reported without the class offset
  EXPECT_FLOAT_EQ(d[2].x1, 50);
  yolo::NmsOptions agnostic;
  agnostic.agnostic = true;
  const auto a = yolo::non_max_suppression(raw, agnostic);
  ASSERT_EQ(a.size(), 2u);
  EXPECT_FLOAT_EQ(a[1].confidence, 0.7f);
  yolo::NmsOptions top1;
  top1.max_det = 1;
  EXPECT_EQ(yolo::non_max_suppression(raw, top1).size(), 1u);
  yolo::NmsOptions strict;
  strict.confidence = 0.9f;  // strictly greater
  EXPECT_TRUE(yolo::non_max_suppression(raw, strict).empty());
  EXPECT_THROW(yolo::non_max_suppression(Tensor::zeros({1, 4, 3})), Error);
}

TEST(YoloNms, TorchvisionThresholdAndTies) {
  // IoU 70/100 is 0.7f = 0.69999999 < 0.7 (double): kept, as torchvision keeps it.
  const std::vector<std::array<float, 4>> boxes = {{0, 0, 10, 10}, {0, 0, 10, 7}, {0, 0, 10, 10}};
  EXPECT_EQ(yolo::nms({boxes[0], boxes[1]}, {0.9f, 0.8f}, 0.7), (std::vector<int64_t>{0, 1}));
  EXPECT_EQ(yolo::nms({boxes[0], boxes[1]}, {0.9f, 0.8f}, 0.69), (std::vector<int64_t>{0}));
  // Equal scores keep their order; the later twin is suppressed.
  EXPECT_EQ(yolo::nms(boxes, {0.5f, 0.5f, 0.5f}, 0.7), (std::vector<int64_t>{0, 1}));
  EXPECT_EQ(yolo::nms({{0, 0, 1, 1}, {5, 5, 6, 6}}, {0.1f, 0.3f}, 0.5), (std::vector<int64_t>{1, 0}));
  EXPECT_TRUE(yolo::nms({}, {}, 0.7).empty());
}

TEST(YoloScaleBoxes, PaddingGainAndClipping) {
  // 640×384 input from 512×288: gain 1.25, padding (round(−0.1), round(11.9)) = (0, 12).
  std::vector<Detection> d = {{100, 12, 740, 400, 0.5f, 0}, {-20, 30, 50, 60, 0.4f, 1}};
  yolo::scale_boxes(d, 384, 640, 288, 512);
  EXPECT_FLOAT_EQ(d[0].x1, 80);
  EXPECT_FLOAT_EQ(d[0].y1, 0);
  EXPECT_FLOAT_EQ(d[0].x2, 512);   // 592 clipped
  EXPECT_FLOAT_EQ(d[0].y2, 288);   // 310.4 clipped
  EXPECT_FLOAT_EQ(d[1].x1, 0);     // −16 clipped
  EXPECT_FLOAT_EQ(d[1].y1, 14.4f);
  EXPECT_FLOAT_EQ(d[1].x2, 40);
  EXPECT_FLOAT_EQ(d[1].y2, 38.4f);
  EXPECT_THROW(yolo::scale_boxes(d, 0, 640, 288, 512), Error);
}

// Only P5 (stride 32) is confident: class 1 logit 2 (sigmoid 0.881), class 0 −3; P3/P4 −10.
// Every side's distribution is two bins, 0 and 1, with probabilities 3/8 and 5/8 (the other bins
// e^−30 away): 5/8 of a cell = 20 px each way, 40×40 boxes every 32 px (neighbours overlap with
// IoU 320/2880 = 0.11, so NMS keeps all of them).
test::TinyYoloSpec known_boxes_spec() {
  test::TinyYoloSpec spec;
  spec.nc = 2;
  std::vector<float> box(64, -30.0f);
  for (int side = 0; side < 4; ++side) {
    box[static_cast<size_t>(side * 16)] = std::log(3.0f / 8.0f);
    box[static_cast<size_t>(side * 16 + 1)] = std::log(5.0f / 8.0f);
  }
  spec.box_bias = {box, box, box};
  spec.cls_bias = {{-10, -10}, {-10, -10}, {-3, 2}};
  return spec;
}

TEST(YoloDetector, BoxesOfAKnownModelInImagePixels) {
  const yolo::YoloDetector det(test::TinyYoloBuilder(known_boxes_spec()).store(), {});
  // 130×96 letterboxes to 640×480 (resized height 473, top padding 3); scale_boxes then takes
  // gain 640/130 and its own padding round((480 − 96·gain)/2 − 0.1) = round(3.59) = 4.
  const Image image = picture(130, 96);
  std::vector<Detection> got = det.detect(image);
  ASSERT_EQ(got.size(), 15u * 20u);
  const double gain = 640.0 / 130.0;
  std::vector<std::array<double, 4>> want;
  for (int gy = 0; gy < 15; ++gy)
    for (int gx = 0; gx < 20; ++gx) {
      const double cx = (gx + 0.5) * 32, cy = (gy + 0.5) * 32;
      want.push_back({std::clamp((cx - 20) / gain, 0.0, 130.0), std::clamp((cy - 20 - 4) / gain, 0.0, 96.0),
                      std::clamp((cx + 20) / gain, 0.0, 130.0), std::clamp((cy + 20 - 4) / gain, 0.0, 96.0)});
    }
  auto by_position = [](const auto& a, const auto& b) {
    return std::make_pair(std::round(a[1] * 100), std::round(a[0] * 100)) <
           std::make_pair(std::round(b[1] * 100), std::round(b[0] * 100));
  };
  std::vector<std::array<double, 4>> have;
  for (const Detection& d : got) {
    EXPECT_EQ(d.cls, 1);
    EXPECT_NEAR(d.confidence, 1 / (1 + std::exp(-2.0)), 1e-5);
    have.push_back({d.x1, d.y1, d.x2, d.y2});
  }
  std::sort(want.begin(), want.end(), by_position);
  std::sort(have.begin(), have.end(), by_position);
  for (size_t i = 0; i < want.size(); ++i)
    for (int k = 0; k < 4; ++k) ASSERT_NEAR(have[i][static_cast<size_t>(k)], want[i][static_cast<size_t>(k)], 1e-3) << i;
  // The checkpoint's imgsz 320: 130×96 letterboxes to 320×256 (236 rows + 10 + 10), P5 10×8 cells.
  yolo::ModelInfo small;
  small.imgsz = {320, 320};
  const yolo::YoloDetector det320(test::TinyYoloBuilder(known_boxes_spec()).store(), small);
  EXPECT_EQ(det320.detect(image).size(), 10u * 8u);
  // A higher threshold than every score: nothing.
  yolo::NmsOptions high;
  high.confidence = 0.9f;
  EXPECT_TRUE(det.detect(image, high).empty());
}

TEST(YoloCli, DetectPrintsAndDraws) {
  FLUXGEN_REQUIRE_CLI();
  std::vector<std::pair<std::string, Tensor>> tensors;
  for (auto& [k, v] : test::TinyYoloBuilder(known_boxes_spec()).build()) tensors.emplace_back(k, v);
  const std::string dir = test::temp_dir();
  write_safetensors(dir + "/hands.safetensors", tensors, {{"names", R"({"0": "face", "1": "hand"})"}});
  write_png(dir + "/photo.png", picture(64, 64));
  const auto r = test::run_fluxgen({"detect", dir + "/photo.png", "--model", dir + "/hands.safetensors",
                                    "--confidence", "0.5", "--output", dir + "/boxes.png"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  // 64×64 letterboxes to 640×640: P5 is 20×20 = 400 cells, max_det 300 of them, all "hand".
  EXPECT_EQ(std::count(r.out.begin(), r.out.end(), '\n'), 300);
  EXPECT_NE(r.out.find(" 0.881 hand\n"), std::string::npos);
  const Image drawn = read_image(dir + "/boxes.png");
  EXPECT_EQ(drawn.width, 64);
  const auto missing = test::run_fluxgen({"detect", dir + "/nope.png", "--model", dir + "/hands.safetensors"});
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_NE(missing.err.find("nope.png"), std::string::npos);
}

}  // namespace
}  // namespace fluxgen
