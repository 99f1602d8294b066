#include "pipeline/adetailer/detection_masks.h"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "imaging/draw.h"
#include "imaging/opencv_filters.h"
#include "util/error.h"

namespace fluxgen::adetailer {

namespace {

Prediction select(const Prediction& pred, const std::vector<size_t>& idx) {
  Prediction out;
  out.image_width = pred.image_width;
  out.image_height = pred.image_height;
  for (size_t i : idx) {
    out.bboxes.push_back(pred.bboxes[i]);
    out.masks.push_back(pred.masks[i]);
    if (i < pred.confidences.size()) out.confidences.push_back(pred.confidences[i]);
  }
  return out;
}

// np.argsort(values)[-k:][::-1]: the k largest, largest first. NumPy's default sort is not stable
// in general; for the handful of boxes a detector returns it is an insertion sort, which is, so
// ties keep their order here too (and the later one comes first after the reversal).
std::vector<size_t> top_k(const std::vector<double>& values, int64_t k) {
  std::vector<size_t> order(values.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return values[a] < values[b]; });
  const size_t keep = std::min<size_t>(static_cast<size_t>(k), order.size());
  return std::vector<size_t>(order.rbegin(), order.rbegin() + static_cast<std::ptrdiff_t>(keep));
}

}  // namespace

double bbox_area(const std::array<double, 4>& b) { return (b[2] - b[0]) * (b[3] - b[1]); }

Prediction prediction_from_boxes(std::vector<std::array<double, 4>> bboxes, std::vector<double> confidences,
                                 int image_width, int image_height) {
  check(confidences.size() == bboxes.size(), "ADetailer: ", bboxes.size(), " boxes but ", confidences.size(),
        " confidences");
  check_image_size(image_width, image_height, "ADetailer masks");
  Prediction p;
  p.image_width = image_width;
  p.image_height = image_height;
  for (const auto& b : bboxes) {
    Image mask(image_width, image_height, 1);
    imaging::fill_rectangle(mask, b[0], b[1], b[2], b[3], {255});
    p.masks.push_back(std::move(mask));
  }
  p.bboxes = std::move(bboxes);
  p.confidences = std::move(confidences);
  return p;
}

Prediction filter_by_ratio(Prediction pred, double low, double high) {
  if (pred.bboxes.empty()) return pred;
  const double area = static_cast<double>(pred.image_width) * pred.image_height;
  std::vector<size_t> idx;
  for (size_t i = 0; i < pred.bboxes.size(); ++i) {
    const double r = bbox_area(pred.bboxes[i]) / area;
    if (low <= r && r <= high) idx.push_back(i);
  }
  return select(pred, idx);
}

Prediction filter_k_by(Prediction pred, int64_t k, MaskFilterMethod by) {
  check(k >= 0, "ADetailer: top k must not be negative, got ", k);
  if (pred.bboxes.empty() || k == 0) return pred;
  std::vector<double> keys;
  if (by == MaskFilterMethod::Area) {
    for (const auto& b : pred.bboxes) keys.push_back(bbox_area(b));
  } else {
    if (pred.confidences.empty()) return pred;
    keys = pred.confidences;
  }
  return select(pred, top_k(keys, k));
}

Prediction sort_bboxes(Prediction pred, SortBy order) {
  if (order == SortBy::None || pred.bboxes.size() <= 1) return pred;
  const double cx = pred.image_width / 2.0, cy = pred.image_height / 2.0;
  auto key = [&](const std::array<double, 4>& b) {
    switch (order) {
      case SortBy::LeftToRight: return b[0];
      case SortBy::CenterToEdge: return std::hypot((b[0] + b[2]) / 2 - cx, (b[1] + b[3]) / 2 - cy);
      default: return -bbox_area(b);
    }
  };
  std::vector<size_t> idx(pred.bboxes.size());
  std::iota(idx.begin(), idx.end(), 0);
  std::stable_sort(idx.begin(), idx.end(), [&](size_t a, size_t b) { return key(pred.bboxes[a]) < key(pred.bboxes[b]); });
  return select(pred, idx);
}

Image offset_mask(const Image& mask, int64_t x, int64_t y) {
  check(mask.channels == 1, "ADetailer offset: expected a 1-channel mask");
  const int64_t W = mask.width, H = mask.height;
  // ImageChops.offset(mask, x, −y): out(i, j) = in((i − x) mod W, (j + y) mod H).
  const int64_t sx = (W - x % W) % W, sy = (y % H + H) % H;
  Image out(mask.width, mask.height, 1);
  for (int64_t j = 0; j < H; ++j)
    for (int64_t i = 0; i < W; ++i)
      out.pixel(static_cast<int>(i), static_cast<int>(j))[0] =
          mask.pixel(static_cast<int>((i + sx) % W), static_cast<int>((j + sy) % H))[0];
  return out;
}

Image dilate_erode(const Image& mask, int64_t value) {
  if (value == 0) return mask;
  // |value| without overflowing at INT64_MIN (the filters clamp huge sizes themselves).
  const int64_t size = value > 0 ? value : (value == INT64_MIN ? INT64_MAX : -value);
  return value > 0 ? imaging::opencv_dilate(mask, size) : imaging::opencv_erode(mask, size);
}

bool is_all_black(const Image& mask) {
  return std::all_of(mask.pixels.begin(), mask.pixels.end(), [](uint8_t v) { return v == 0; });
}

std::vector<Image> mask_merge_invert(std::vector<Image> masks, MergeInvert mode) {
  if (mode == MergeInvert::None || masks.empty()) return masks;
  Image merged = masks.front();
  for (size_t i = 1; i < masks.size(); ++i) {
    check(masks[i].pixels.size() == merged.pixels.size(), "ADetailer merge: masks of different sizes");
    for (size_t k = 0; k < merged.pixels.size(); ++k) merged.pixels[k] |= masks[i].pixels[k];
  }
  if (mode == MergeInvert::MergeAndInvert)
    for (uint8_t& v : merged.pixels) v = static_cast<uint8_t>(255 - v);
  return {std::move(merged)};
}

std::vector<Image> mask_preprocess(std::vector<Image> masks, int64_t kernel, int64_t x_offset, int64_t y_offset,
                                   MergeInvert mode) {
  if (masks.empty()) return {};
  if (x_offset != 0 || y_offset != 0)
    for (Image& m : masks) m = offset_mask(m, x_offset, y_offset);
  if (kernel != 0) {
    std::vector<Image> kept;
    for (Image& m : masks) {
      Image d = dilate_erode(m, kernel);
      if (!is_all_black(d)) kept.push_back(std::move(d));
    }
    masks = std::move(kept);
  }
  return mask_merge_invert(std::move(masks), mode);
}

std::vector<Image> prepare_masks(Prediction pred, const ADetailerArgs& args, SortBy sort) {
  pred = filter_by_ratio(std::move(pred), args.ad_mask_min_ratio, args.ad_mask_max_ratio);
  pred = filter_k_by(std::move(pred), args.ad_mask_k, args.ad_mask_filter_method);
  pred = sort_bboxes(std::move(pred), sort);
  return mask_preprocess(std::move(pred.masks), args.ad_dilate_erode, args.ad_x_offset, args.ad_y_offset,
                         args.ad_mask_merge_invert);
}

}  // namespace fluxgen::adetailer
