#include "models/yolo/yolo_detector.h"

#include "models/yolo/checkpoint_info.h"
#include "models/yolo/letterbox.h"
#include "util/strings.h"

namespace fluxgen::yolo {

ModelInfo read_model_info(const std::string& path, const TensorStore& store) {
  const std::string lower = to_lower(path);
  if (ends_with(lower, ".pt") || ends_with(lower, ".pth")) {
    // The tensor store names the tensors only; the module tree behind them is read again here
    // (a parse of the pickle alone: the tensor data stays mapped, unread).
    return model_info_from_checkpoint(*torch_pickle::TorchCheckpoint::open(path));
  }
  return model_info_from_metadata(store);
}

std::unique_ptr<YoloDetector> YoloDetector::load(const std::string& path, const StorePlacement& placement) {
  std::shared_ptr<const TensorStore> store = open_tensor_store(path);
  ModelInfo info = read_model_info(path, *store);
  return std::make_unique<YoloDetector>(place(placement, std::move(store)), std::move(info));
}

YoloDetector::YoloDetector(std::shared_ptr<const TensorStore> store, ModelInfo info)
    : model_(std::move(store), std::move(info)) {}

std::vector<Detection> YoloDetector::detect(const Image& image, const NmsOptions& options) const {
  const auto [h, w] = model_.info().imgsz;
  const Letterbox lb = letterbox(image, h, w);
  std::vector<Detection> dets = non_max_suppression(model_.forward(letterbox_tensor(lb.image)), options);
  scale_boxes(dets, lb.image.height, lb.image.width, image.height, image.width);
  return dets;
}

}  // namespace fluxgen::yolo
