#include "models/yolo/yolo_detector.h"

#include "models/yolo/letterbox.h"

namespace fluxgen::yolo {

ModelInfo read_model_info(const std::string& path, const TensorStore& store) {
  (void)path;
  return model_info_from_metadata(store);
}

std::unique_ptr<YoloDetector> YoloDetector::load(const std::string& path) {
  std::shared_ptr<const TensorStore> store = open_tensor_store(path);
  ModelInfo info = read_model_info(path, *store);
  return std::make_unique<YoloDetector>(std::move(store), std::move(info));
}

YoloDetector::YoloDetector(std::shared_ptr<const TensorStore> store, ModelInfo info)
    : model_(std::move(store), std::move(info)) {}

std::vector<Detection> YoloDetector::detect(const Image& image, const NmsOptions& options) const {
  const Letterbox lb = letterbox(image);
  std::vector<Detection> dets = non_max_suppression(model_.forward(letterbox_tensor(lb.image)), options);
  scale_boxes(dets, lb.image.height, lb.image.width, image.height, image.width);
  return dets;
}

}  // namespace fluxgen::yolo
