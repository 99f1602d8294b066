// ADetailer's argument model, prompts, mask pipeline and A1111's "only masked" geometry against
// hand-computed values (and OpenCV/Pillow goldens from tests/data/adetailer/make_goldens.py).
#include <gtest/gtest.h>

#include "imaging_test_support.h"
#include "io/json.h"
#include "pipeline/adetailer/ad_prompts.h"
#include "pipeline/adetailer/adetailer_args.h"
#include "pipeline/adetailer/detection_masks.h"
#include "pipeline/adetailer/inpaint_region.h"
#include "util/error.h"
#include "util/python_repr.h"

namespace fluxgen {
namespace {

using namespace adetailer;
using test::golden_image;

const SafetensorsFile& goldens() {
  static const auto file =
      SafetensorsFile::open(std::string(FLUXGEN_TEST_FIXTURES) + "/../data/adetailer/mask_goldens.safetensors");
  return *file;
}

ADetailerArgs parse(const std::string& text) { return parse_adetailer_args(json::parse(text)); }

std::string error_of(const std::string& text) {
  try {
    parse(text);
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

Image mask_with(int w, int h, int x0, int y0, int x1, int y1) {
  Image m(w, h, 1);
  for (int y = y0; y < y1; ++y)
    for (int x = x0; x < x1; ++x) m.pixel(x, y)[0] = 255;
  return m;
}

int count_set(const Image& m) {
  int n = 0;
  for (uint8_t v : m.pixels) n += v != 0;
  return n;
}

TEST(ADetailerArgs, DefaultsAreArgsPy) {
  const ADetailerArgs a = parse("{}");
  EXPECT_EQ(a.ad_model, "None");
  EXPECT_TRUE(a.need_skip());
  EXPECT_DOUBLE_EQ(a.ad_confidence, 0.3);
  EXPECT_EQ(a.ad_mask_filter_method, MaskFilterMethod::Area);
  EXPECT_EQ(a.ad_mask_k, 0);
  EXPECT_DOUBLE_EQ(a.ad_mask_max_ratio, 1.0);
  EXPECT_EQ(a.ad_dilate_erode, 4);
  EXPECT_EQ(a.ad_mask_merge_invert, MergeInvert::None);
  EXPECT_EQ(a.ad_mask_blur, 4);
  EXPECT_DOUBLE_EQ(a.ad_denoising_strength, 0.4);
  EXPECT_TRUE(a.ad_inpaint_only_masked);
  EXPECT_EQ(a.ad_inpaint_only_masked_padding, 32);
  EXPECT_EQ(a.size_or(896, 1152), (std::pair<int64_t, int64_t>{896, 1152}));
  EXPECT_EQ(a.steps_or(12), 12);
  EXPECT_EQ(a.ad_steps, 28);
  EXPECT_DOUBLE_EQ(a.cfg_scale_or(1.0), 1.0);
  EXPECT_EQ(a.ad_sampler, "DPM++ 2M Karras");
  EXPECT_EQ(a.ad_scheduler, "Use same scheduler");
  EXPECT_FALSE(a.ad_checkpoint.has_value());
}

TEST(ADetailerArgs, TheFacePassOfIssue8) {
  const ADetailerArgs a = parse(R"({"ad_model": "face_yolov8s.pt",
      "ad_prompt": "perfect detailed face, sharp eyes, natural skin texture", "ad_confidence": 0.7,
      "ad_denoising_strength": 0.45, "ad_use_steps": true, "ad_steps": 18, "ad_mask_blur": 12,
      "ad_inpaint_only_masked": true, "is_api": [1, 2]})");
  EXPECT_FALSE(a.need_skip());
  EXPECT_DOUBLE_EQ(a.ad_confidence, 0.7);
  EXPECT_DOUBLE_EQ(a.ad_denoising_strength, 0.45);
  EXPECT_EQ(a.steps_or(12), 18);
  EXPECT_EQ(a.ad_mask_blur, 12);
}

TEST(ADetailerArgs, CoercesAsPydanticV1) {
  const ADetailerArgs a = parse(R"({"ad_confidence": "0.5", "ad_steps": 18.9, "ad_use_steps": "yes",
      "ad_model": 5, "ad_mask_k": true, "ad_x_offset": " -3 ", "ad_restore_face": 0, "ad_checkpoint": null,
      "ad_cfg_scale": 4})");
  EXPECT_DOUBLE_EQ(a.ad_confidence, 0.5);
  EXPECT_EQ(a.ad_steps, 18);  // int(18.9)
  EXPECT_TRUE(a.ad_use_steps);
  EXPECT_EQ(a.ad_model, "5");
  EXPECT_EQ(a.ad_mask_k, 1);
  EXPECT_EQ(a.ad_x_offset, -3);
  EXPECT_FALSE(a.ad_restore_face);
  EXPECT_DOUBLE_EQ(a.ad_cfg_scale, 4.0);
}

TEST(ADetailerArgs, AcceptsTheOldTopKName) {
  EXPECT_EQ(parse(R"({"ad_mask_k_largest": 2})").ad_mask_k, 2);
  EXPECT_NE(error_of(R"({"ad_mask_k_largest": 2, "ad_mask_k": 2})").find("ad_mask_k_largest"), std::string::npos);
}

TEST(ADetailerArgs, RejectsWhatPydanticRejectsNamingTheKey) {
  const std::pair<const char*, const char*> cases[] = {
      {R"({"ad_modle": "face_yolov8n.pt"})", "ad_modle"},
      {R"({"ad_confidence": 1.5})", "ad_confidence"},
      {R"({"ad_confidence": "high"})", "ad_confidence"},
      {R"({"ad_mask_filter_method": "area"})", "ad_mask_filter_method"},
      {R"({"ad_mask_merge_invert": "Invert"})", "ad_mask_merge_invert"},
      {R"({"ad_steps": 0})", "ad_steps"},
      {R"({"ad_mask_blur": -1})", "ad_mask_blur"},
      {R"({"ad_mask_k": -2})", "ad_mask_k"},
      {R"({"ad_prompt": null})", "ad_prompt"},
      {R"({"ad_prompt": ["a"]})", "ad_prompt"},
      {R"({"ad_use_steps": "maybe"})", "ad_use_steps"},
      {R"({"ad_inpaint_width": "wide"})", "ad_inpaint_width"},
      {R"({"ad_noise_multiplier": 2})", "ad_noise_multiplier"},
      {R"({"ad_clip_skip": 13})", "ad_clip_skip"},
  };
  for (const auto& [text, key] : cases) EXPECT_NE(error_of(text).find(key), std::string::npos) << text;
  EXPECT_THROW(parse("[1]"), Error);
}

TEST(ADetailerArgs, ScriptArgumentList) {
  const auto s = parse_adetailer_script_args(json::parse(R"([true, false,
      {"ad_model": "face_yolov8n.pt"}, {"ad_model": "None"}, {"bad_key": 1}, "ignored"])"));
  EXPECT_TRUE(s.enabled);
  EXPECT_FALSE(s.skip_img2img);
  ASSERT_EQ(s.units.size(), 2u);
  EXPECT_TRUE(s.units[1].need_skip());
  ASSERT_EQ(s.rejected.size(), 1u);
  EXPECT_NE(s.rejected[0].find("3rd unit"), std::string::npos);
  EXPECT_NE(s.rejected[0].find("bad_key"), std::string::npos);
  EXPECT_FALSE(parse_adetailer_script_args(json::parse(R"([false, {"ad_model": "a.pt"}])")).enabled);
  EXPECT_FALSE(parse_adetailer_script_args(json::parse(R"([true, {"ad_model": "None"}])")).enabled);
  const auto obj = parse_adetailer_script_args(json::parse(R"({"args": [{"ad_model": "a.pt"}, {"ad_tab_enable": false}]})"));
  EXPECT_TRUE(obj.enabled);
  EXPECT_EQ(obj.units.size(), 2u);
  EXPECT_TRUE(parse_adetailer_script_args(json::parse(R"([true, true, {"ad_model": "a.pt"}])")).skip_img2img);
  EXPECT_THROW(parse_adetailer_script_args(json::parse("{}")), Error);
  EXPECT_THROW(parse_adetailer_script_args(json::parse("3")), Error);
}

TEST(ADetailerArgs, InfotextAsExtraParams) {
  ADetailerArgs a = parse(R"({"ad_model": "face_yolov8n.pt", "ad_prompt": "a face"})");
  const InfotextParams expected = {{"ADetailer model", "face_yolov8n.pt"},   {"ADetailer prompt", "a face"},
                                   {"ADetailer confidence", "0.3"},          {"ADetailer dilate erode", "4"},
                                   {"ADetailer mask blur", "4"},             {"ADetailer denoising strength", "0.4"},
                                   {"ADetailer inpaint only masked", "True"}, {"ADetailer inpaint padding", "32"}};
  EXPECT_EQ(adetailer_infotext_params(a, 0), expected);
  a = parse(R"({"ad_model": "hand_yolov8n.pt", "ad_use_steps": true, "ad_steps": 18, "ad_mask_k": 2,
      "ad_inpaint_only_masked": false, "ad_use_sampler": true, "ad_x_offset": 3, "ad_use_checkpoint": true})");
  const InfotextParams second = adetailer_infotext_params(a, 1);
  const InfotextParams want2 = {{"ADetailer model 2nd", "hand_yolov8n.pt"},
                                {"ADetailer confidence 2nd", "0.3"},
                                {"ADetailer method to decide top k masks 2nd", "Area"},
                                {"ADetailer mask only top k 2nd", "2"},
                                {"ADetailer x offset 2nd", "3"},
                                {"ADetailer dilate erode 2nd", "4"},
                                {"ADetailer mask blur 2nd", "4"},
                                {"ADetailer denoising strength 2nd", "0.4"},
                                {"ADetailer inpaint only masked 2nd", "False"},
                                {"ADetailer use separate steps 2nd", "True"},
                                {"ADetailer steps 2nd", "18"},
                                {"ADetailer use separate checkpoint 2nd", "True"},
                                {"ADetailer use separate sampler 2nd", "True"},
                                {"ADetailer sampler 2nd", "DPM++ 2M Karras"}};
  EXPECT_EQ(second, want2);
  EXPECT_TRUE(adetailer_infotext_params(parse("{}"), 0).empty());
  const InfotextParams all = adetailer_infotext({parse(R"({"ad_model": "a.pt"})"), parse("{}"), a});
  EXPECT_EQ(all.front(), (std::pair<std::string, std::string>{"ADetailer model", "a.pt"}));
  EXPECT_EQ(all[all.size() - 2].first, "ADetailer sampler 3rd");
  EXPECT_EQ(all.back(), (std::pair<std::string, std::string>{"ADetailer version", "25.3.0"}));
  EXPECT_EQ(ordinal(1), "1st");
  EXPECT_EQ(ordinal(12), "12th");
  EXPECT_EQ(ordinal(23), "23rd");
}

TEST(ADetailerArgs, PythonFloatText) {
  EXPECT_EQ(python_float_repr(0.3), "0.3");
  EXPECT_EQ(python_float_repr(7.0), "7.0");
  EXPECT_EQ(python_float_repr(0.1 + 0.2), "0.30000000000000004");
  EXPECT_EQ(python_float_repr(1e-05), "1e-05");
  EXPECT_EQ(python_float_repr(0.0001), "0.0001");
  EXPECT_EQ(python_float_repr(1e16), "1e+16");
  EXPECT_EQ(python_float_repr(1234567.0), "1234567.0");
  EXPECT_EQ(python_float_repr(-2.5), "-2.5");
  EXPECT_EQ(python_float_repr(1.5e300), "1.5e+300");
}

TEST(ADetailerPrompts, SepAndPromptSubstitution) {
  using V = std::vector<std::string>;
  EXPECT_EQ(split_ad_prompt("a [SEP] b", "base"), (V{"a", "b"}));
  EXPECT_EQ(split_ad_prompt("", "base"), (V{"base"}));
  EXPECT_EQ(split_ad_prompt("[SEP]x", "base"), (V{"base", "x"}));
  EXPECT_EQ(split_ad_prompt(" a [SEP]  ", "base"), (V{" a", "base"}));
  EXPECT_EQ(split_ad_prompt("a\t[SEP]\xE3\x80\x80 [PROMPT], detailed", "base"), (V{"a", "base, detailed"}));
  EXPECT_EQ(split_ad_prompt("x [SEP] [SEP] y", "b"), (V{"x", "b", "y"}));
  EXPECT_EQ(split_ad_prompt("[PROMPT] and [PROMPT]", "base"), (V{"base and base"}));
  EXPECT_EQ(split_ad_prompt("<[PROMPT]>", "p [PROMPT] q"), (V{"<p [PROMPT] q>"}));
  const V pieces = split_ad_prompt("face [SEP] hand", "");
  EXPECT_EQ(prompt_for_mask(pieces, 0), "face");
  EXPECT_EQ(prompt_for_mask(pieces, 5), "hand");
  EXPECT_TRUE(is_skip_prompt(" [SKIP]\n"));
  EXPECT_FALSE(is_skip_prompt("[SKIP] face"));
  EXPECT_FALSE(is_skip_prompt(""));
}

TEST(ADetailerMasks, BoxesBecomePillowRectangles) {
  const Prediction p = prediction_from_boxes({{1.7, 2.2, 4.9, 3.0}}, {0.8}, 8, 6);
  ASSERT_EQ(p.masks.size(), 1u);
  // int() of each corner, both inclusive: x 1..4, y 2..3.
  EXPECT_EQ(count_set(p.masks[0]), 8);
  EXPECT_EQ(p.masks[0].pixel(1, 2)[0], 255);
  EXPECT_EQ(p.masks[0].pixel(4, 3)[0], 255);
  EXPECT_EQ(p.masks[0].pixel(5, 3)[0], 0);
  EXPECT_THROW(prediction_from_boxes({{0, 0, 1, 1}}, {}, 8, 6), Error);
}

TEST(ADetailerMasks, RatioTopKAndSort) {
  // 10×10 image: areas 4 (0.04), 25 (0.25), 100 (1.0).
  Prediction p = prediction_from_boxes({{0, 0, 2, 2}, {5, 5, 10, 10}, {0, 0, 10, 10}}, {0.5, 0.9, 0.7}, 10, 10);
  Prediction r = filter_by_ratio(p, 0.05, 1.0);
  ASSERT_EQ(r.bboxes.size(), 2u);
  EXPECT_DOUBLE_EQ(r.confidences[0], 0.9);
  EXPECT_DOUBLE_EQ(r.confidences[1], 0.7);
  // Top 2 by area: argsort [0, 1, 2] -> last two reversed -> boxes 2, 1.
  Prediction k = filter_k_by(p, 2, MaskFilterMethod::Area);
  ASSERT_EQ(k.bboxes.size(), 2u);
  EXPECT_DOUBLE_EQ(k.confidences[0], 0.7);
  EXPECT_DOUBLE_EQ(k.confidences[1], 0.9);
  Prediction c = filter_k_by(p, 1, MaskFilterMethod::Confidence);
  ASSERT_EQ(c.bboxes.size(), 1u);
  EXPECT_DOUBLE_EQ(c.confidences[0], 0.9);
  EXPECT_EQ(filter_k_by(p, 0, MaskFilterMethod::Area).bboxes.size(), 3u);
  EXPECT_EQ(filter_k_by(p, 9, MaskFilterMethod::Area).bboxes.size(), 3u);
  // Equal areas: the later box comes first after the reversal.
  Prediction tie = prediction_from_boxes({{0, 0, 2, 2}, {4, 4, 6, 6}, {0, 0, 1, 1}}, {0.1, 0.2, 0.3}, 10, 10);
  Prediction t2 = filter_k_by(tie, 2, MaskFilterMethod::Area);
  EXPECT_DOUBLE_EQ(t2.confidences[0], 0.2);
  EXPECT_DOUBLE_EQ(t2.confidences[1], 0.1);
  Prediction s = prediction_from_boxes({{6, 0, 8, 2}, {0, 0, 1, 1}, {4, 4, 6, 6}}, {0.1, 0.2, 0.3}, 10, 10);
  EXPECT_DOUBLE_EQ(sort_bboxes(s, SortBy::LeftToRight).confidences[0], 0.2);
  EXPECT_DOUBLE_EQ(sort_bboxes(s, SortBy::CenterToEdge).confidences[0], 0.3);
  EXPECT_DOUBLE_EQ(sort_bboxes(s, SortBy::Area).confidences[0], 0.1);
  EXPECT_DOUBLE_EQ(sort_bboxes(s, SortBy::None).confidences[0], 0.1);
}

TEST(ADetailerMasks, OffsetWrapsLikeImageChops) {
  const Image src = golden_image(goldens(), "offset.src");
  const json::Value offsets = json::parse(goldens().metadata_value("offsets"));
  for (const auto& o : offsets.as_array()) {
    const int64_t x = o.at(0).as_int(), y = o.at(1).as_int();
    const std::string name = "offset." + std::to_string(x) + "_" + std::to_string(y);
    EXPECT_SAME_IMAGE(offset_mask(src, x, y), golden_image(goldens(), name), name);
  }
  // Right by 2 and up by 1: (1, 1) -> (3, 0); further up wraps to the bottom row.
  const Image one = mask_with(5, 4, 1, 1, 2, 2);
  EXPECT_EQ(offset_mask(one, 2, 1).pixel(3, 0)[0], 255);
  EXPECT_EQ(offset_mask(one, 0, 2).pixel(1, 3)[0], 255);
}

TEST(ADetailerMasks, PreprocessDilateErodeDropMergeInvert) {
  const Image a = mask_with(12, 10, 2, 2, 4, 4), b = mask_with(12, 10, 7, 5, 9, 8);
  // Dilate by 4 (window −2 … +1): the 2×2 square at 2..3 grows to 0..4 -> 5×5.
  auto d = mask_preprocess({a}, 4, 0, 0, MergeInvert::None);
  ASSERT_EQ(d.size(), 1u);
  EXPECT_EQ(count_set(d[0]), 25);
  // Erode by 3 leaves nothing of a 2×2 square: dropped; the 2×3 one keeps its middle column... none.
  auto e = mask_preprocess({a, b}, -3, 0, 0, MergeInvert::None);
  EXPECT_TRUE(e.empty());
  auto e2 = mask_preprocess({a, mask_with(12, 10, 5, 2, 10, 9)}, -3, 0, 0, MergeInvert::None);
  ASSERT_EQ(e2.size(), 1u);
  EXPECT_EQ(count_set(e2[0]), 3 * 5);
  // Without dilation nothing is dropped, even empty masks.
  EXPECT_EQ(mask_preprocess({Image(12, 10, 1)}, 0, 0, 0, MergeInvert::None).size(), 1u);
  auto m = mask_preprocess({a, b}, 0, 0, 0, MergeInvert::Merge);
  ASSERT_EQ(m.size(), 1u);
  EXPECT_EQ(count_set(m[0]), 4 + 6);
  auto mi = mask_preprocess({a, b}, 0, 0, 0, MergeInvert::MergeAndInvert);
  EXPECT_EQ(count_set(mi[0]), 120 - 10);
  auto moved = mask_preprocess({a}, 0, 3, -2, MergeInvert::None);
  EXPECT_EQ(moved[0].pixel(5, 4)[0], 255);
  EXPECT_TRUE(mask_preprocess({}, 4, 1, 1, MergeInvert::Merge).empty());
  EXPECT_TRUE(is_all_black(Image(3, 3, 1)));
}

TEST(ADetailerMasks, PrepareMasksFollowsTheUnit) {
  ADetailerArgs args = parse(R"({"ad_model": "face_yolov8n.pt", "ad_mask_k": 1, "ad_dilate_erode": 0})");
  const Prediction p = prediction_from_boxes({{0, 0, 1, 1}, {4, 4, 7, 7}}, {0.9, 0.3}, 10, 10);
  const auto masks = prepare_masks(p, args);
  ASSERT_EQ(masks.size(), 1u);
  EXPECT_EQ(count_set(masks[0]), 16);  // the larger box, 4..7 inclusive
  args.ad_mask_filter_method = MaskFilterMethod::Confidence;
  EXPECT_EQ(count_set(prepare_masks(p, args)[0]), 4);
  args.ad_mask_min_ratio = 0.5;
  EXPECT_TRUE(prepare_masks(p, args).empty());
}

TEST(ADetailerInpaintRegion, MaskBlurIsForgesTwoGaussianCalls) {
  const Image src = golden_image(goldens(), "a1111.src");
  for (int b : {4, 12}) {
    const std::string name = "a1111.blur" + std::to_string(b);
    EXPECT_SAME_IMAGE(a1111_mask_blur(src, b, b), golden_image(goldens(), name), name);
  }
  EXPECT_SAME_IMAGE(a1111_mask_blur(src, 0, 0), src, "no blur");
  EXPECT_THROW(a1111_mask_blur(src, kMaxMaskBlur + 1, 4), Error);
  EXPECT_EQ(a1111_mask_blur(src, kMaxMaskBlur, 0).width, src.width);
  EXPECT_THROW(a1111_mask_blur(Image(4, 4, 3), 4, 4), Error);
}

TEST(ADetailerInpaintRegion, CropRegionAndExpansion) {
  const Image m = mask_with(20, 10, 5, 2, 9, 5);
  EXPECT_EQ(get_crop_region(m, 0), (CropRegion{5, 2, 9, 5}));
  EXPECT_EQ(get_crop_region(m, 3), (CropRegion{2, 0, 12, 8}));
  EXPECT_FALSE(get_crop_region(Image(4, 4, 1), 32).has_value());
  // 10×8 to a square: height 10, diff 2 -> y −1 … 9, shifted down into the image.
  EXPECT_EQ(expand_crop_region({2, 0, 12, 8}, 512, 512, 20, 10), (CropRegion{2, 0, 12, 10}));
  // 4×10 to 2:1: width 20, diff 16 -> x −8 … 12, shifted right.
  EXPECT_EQ(expand_crop_region({0, 0, 4, 10}, 1024, 512, 100, 100), (CropRegion{0, 0, 20, 10}));
  // At the right edge: 5×10 -> 10×10, x 93 … 103 shifted left to 90 … 100.
  EXPECT_EQ(expand_crop_region({95, 40, 100, 50}, 512, 512, 100, 100), (CropRegion{90, 40, 100, 50}));
  // 7×10 at 896×1152: desired width 7.78, int(0.78) = 0: unchanged.
  EXPECT_EQ(expand_crop_region({10, 10, 17, 20}, 896, 1152, 100, 100), (CropRegion{10, 10, 17, 20}));
  // Larger than the image in the grown direction: the full height.
  EXPECT_EQ(expand_crop_region({0, 0, 40, 5}, 512, 512, 40, 20), (CropRegion{0, 0, 40, 20}));
  EXPECT_THROW(expand_crop_region({3, 3, 3, 5}, 512, 512, 10, 10), Error);
}

TEST(ADetailerInpaintRegion, OnlyMaskedPlan) {
  // Box 50..69 × 30..59; blur 4 reaches 10 pixels out (its outermost weight is 1/256, enough for
  // 255 to round to 1): bbox (40, 20, 80, 70); padding 8 -> (32, 12, 88, 78), 56×66; squared to
  // 66×66 around it: (27, 12, 93, 78).
  const Image m = mask_with(200, 100, 50, 30, 70, 60);
  const auto plan = plan_only_masked(m, 4, 8, 512, 512);
  ASSERT_TRUE(plan.has_value());
  EXPECT_EQ(get_crop_region(plan->blurred_mask, 0), (CropRegion{40, 20, 80, 70}));
  EXPECT_EQ(plan->crop, (CropRegion{27, 12, 93, 78}));
  EXPECT_EQ(plan->crop_mask.width, 512);
  EXPECT_EQ(plan->crop_mask.height, 512);
  EXPECT_EQ(plan->crop_mask.channels, 1);
  EXPECT_GE(plan->crop_mask.pixel(256, 256)[0], 250);  // the box centre, 10 px from its blurred edge
  EXPECT_EQ(plan->crop_mask.pixel(2, 2)[0], 0);
  EXPECT_FALSE(plan_only_masked(Image(10, 10, 1), 4, 32, 512, 512).has_value());
}

}  // namespace
}  // namespace fluxgen
