// What an Ultralytics checkpoint says about its model beyond the tensors: the class names, the
// scale and multiples from its yaml, the task, and per-module facts only the pickled module tree
// holds (each Conv's activation class, each BatchNorm's eps, each Bottleneck's shortcut). A .pt
// file fills it from the module tree; a safetensors export from its metadata, else from defaults
// (Conv.default_act = SiLU, BatchNorm eps 1e-3, the yolov8.yaml shortcuts).
#pragma once
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "models/yolo/activation.h"

namespace fluxgen {
class TensorStore;
}

namespace fluxgen::yolo {

struct ModelInfo {
  std::string source;                     // the file, for messages
  std::string weights_prefix;             // where the layers' tensors are ("model.model."), or "" to search
  std::optional<int64_t> nc;              // yaml / Detect.nc
  std::vector<std::string> names;         // class names by index (may be empty)
  std::string scale;                      // "n", "s", "m", "l", "x" or ""
  std::optional<double> depth_multiple, width_multiple;
  std::optional<int64_t> max_channels;
  std::string task;                       // "detect", "segment", "pose" ... or ""
  // Prediction size (height, width): the checkpoint's train_args imgsz, which Ultralytics keeps as
  // its predict default, rounded up to a multiple of 32 as check_imgsz does; 640 × 640 if absent.
  std::pair<int, int> imgsz{640, 640};
  std::string head_class;                 // class of the last layer ("Detect", "Segment" ...) or ""
  std::vector<std::string> layer_classes; // class of every top-level layer, when known
  ActivationSpec default_activation;      // for Conv modules not listed below
  std::map<std::string, ActivationSpec> activations;  // module path ("model.2.cv1") -> act
  std::map<std::string, double> batchnorm_eps;         // BatchNorm path ("model.0.bn") -> eps
  std::map<std::string, bool> shortcuts;               // Bottleneck path ("model.2.m.0") -> add

  ActivationSpec activation_of(const std::string& conv_path) const;
  double batchnorm_eps_of(const std::string& bn_path) const;
  std::optional<bool> shortcut_of(const std::string& bottleneck_path) const;
  // The name of class c: names[c], else "class<c>" as Ultralytics' default_class_names.
  std::string class_name(int64_t c) const;
};

// Ultralytics' own default for BatchNorm2d after initialize_weights().
constexpr double kDefaultBatchNormEps = 1e-3;

// imgsz from a value (an int or [h, w]): each side rounded up to a multiple of 32; throws for
// sizes outside 1 … 8192.
std::pair<int, int> checked_imgsz(int64_t height, int64_t width, const std::string& what);

// What a safetensors export may carry in its __metadata__: "names" (a JSON object {"0": "face"}
// or array), "nc", "scale", "task", "imgsz" (an int or [h, w]), and "activation" (a torch class name such as "SiLU" or an
// Ultralytics yaml expression such as "nn.ReLU()").
ModelInfo model_info_from_metadata(const TensorStore& store);

}  // namespace fluxgen::yolo
