// A YOLOv8 detector as ADetailer runs it (YOLO(path)(image, conf=...)): the model file loaded
// once, then for each image letterbox -> DetectionModel -> NMS -> boxes in image pixels.
#pragma once
#include <memory>
#include <string>
#include <vector>

#include "io/image/image.h"
#include "models/yolo/detection_model.h"
#include "models/yolo/postprocess.h"

namespace fluxgen::yolo {

class YoloDetector {
 public:
  // An Ultralytics .pt checkpoint (read as data by the safe unpickler, its module tree giving the
  // class names and activations) or a safetensors export with the same tensor names.
  // `placement`: where the weights go (pipeline/placement); the host when empty.
  static std::unique_ptr<YoloDetector> load(const std::string& path, const StorePlacement& placement = {});
  YoloDetector(std::shared_ptr<const TensorStore> store, ModelInfo info);

  // Boxes in the image's pixels, best first.
  std::vector<Detection> detect(const Image& image, const NmsOptions& options = {}) const;
  const DetectionModel& model() const { return model_; }

 private:
  DetectionModel model_;
};

// The facts a weight file carries beside its tensors (model_info.h), for any supported format.
ModelInfo read_model_info(const std::string& path, const TensorStore& store);

}  // namespace fluxgen::yolo
