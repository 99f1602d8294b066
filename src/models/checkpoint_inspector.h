// What a weight file holds, from its tensor names and shapes alone (headers only, instant on a
// 24 GB checkpoint): which models, in which key layout, under which prefix, with the configuration
// that can be inferred. Used by `fluxgen info` and by model discovery.
#pragma once
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "io/tensor_store.h"

namespace fluxgen {

enum class ModelKind {
  FluxTransformer,
  FluxAutoencoder,
  ClipText,
  T5Encoder,
  Lora,
  Esrgan,
  SrvggCompact,
  TaesdEncoder,
  TaesdDecoder,
  Yolo,
};

std::string model_kind_name(ModelKind kind);

struct Component {
  ModelKind kind;
  std::string layout;  // "BFL", "diffusers", "kohya", "original ESRGAN" ...
  std::string prefix;  // key prefix inside the file ("" for none)
  // Ordered (name, value) facts: "double blocks" -> "19".
  std::vector<std::pair<std::string, std::string>> facts;
};

struct DTypeUsage {
  int64_t tensors = 0;
  uint64_t bytes = 0;
};

struct FileReport {
  std::string source;
  int64_t tensor_count = 0;
  uint64_t data_bytes = 0;
  std::map<std::string, DTypeUsage> by_dtype;  // dtype name -> usage
  std::string architecture;                    // a GGUF file's general.architecture ("flux", "t5")
  std::vector<Component> components;
};

FileReport inspect_store(const TensorStore& store);
// Human-readable, several lines.
std::string format_report(const FileReport& report);

}  // namespace fluxgen
