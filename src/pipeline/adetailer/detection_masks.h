// ADetailer's masks from detections (adetailer/common.py, adetailer/mask.py, pred_preprocessing in
// scripts/!adetailer.py), in its order:
//   1. one mask per box: a filled rectangle (Pillow's, corners truncated and inclusive);
//   2. ratio filter: keep boxes whose area / image area is within [min, max];
//   3. top k by area or by confidence (np.argsort(…)[-k:][::-1], largest first);
//   4. the global sort option (default none);
//   5. offset by (x, −y), wrapping around the edges (ImageChops.offset);
//   6. dilate (v > 0) or erode (v < 0) with a |v|×|v| rectangle, one iteration; masks left empty
//      are dropped (only when v != 0, as ADetailer does);
//   7. merge (OR of all) and optionally invert.
#pragma once
#include <array>
#include <vector>

#include "io/image/image.h"
#include "pipeline/adetailer/adetailer_args.h"

namespace fluxgen::adetailer {

// PredictOutput: boxes xyxy in image pixels, their masks (1-channel, image size), confidences.
struct Prediction {
  std::vector<std::array<double, 4>> bboxes;
  std::vector<Image> masks;
  std::vector<double> confidences;
  int image_width = 0, image_height = 0;
};

// create_mask_from_bbox for every box; `confidences` parallel to `bboxes`.
Prediction prediction_from_boxes(std::vector<std::array<double, 4>> bboxes, std::vector<double> confidences,
                                 int image_width, int image_height);

double bbox_area(const std::array<double, 4>& b);

Prediction filter_by_ratio(Prediction pred, double low, double high);
// k == 0 keeps everything.
Prediction filter_k_by(Prediction pred, int64_t k, MaskFilterMethod by);

// The "ad_bbox_sortby" option: None, Position (left to right), Position (center to edge),
// Area (large to small); Python's stable sorted().
enum class SortBy { None, LeftToRight, CenterToEdge, Area };
Prediction sort_bboxes(Prediction pred, SortBy order);

// offset(mask, x, y) = ImageChops.offset(mask, x, −y): content moves right by x and up by y,
// wrapping around.
Image offset_mask(const Image& mask, int64_t x, int64_t y);
Image dilate_erode(const Image& mask, int64_t value);
bool is_all_black(const Image& mask);
std::vector<Image> mask_merge_invert(std::vector<Image> masks, MergeInvert mode);
// mask_preprocess: offset, dilate/erode (dropping masks left empty), merge/invert.
std::vector<Image> mask_preprocess(std::vector<Image> masks, int64_t kernel, int64_t x_offset, int64_t y_offset,
                                   MergeInvert mode);

// pred_preprocessing: steps 2–7 with the unit's arguments; the masks to inpaint, in order.
std::vector<Image> prepare_masks(Prediction pred, const ADetailerArgs& args, SortBy sort = SortBy::None);

}  // namespace fluxgen::adetailer
