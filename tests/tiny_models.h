// The tiny fixture models as a Forge-layout models folder, and the fixture's real photo, for the
// end-to-end tests (CPU and stand-in device).
#pragma once
#include <string>

#include "pipeline/generator.h"
#include "pipeline/placement/device_choice.h"

namespace fluxgen::test {

// A Forge-layout models folder of symlinks to the tiny fixtures (made once per process).
std::string tiny_models_dir();
// tiny_models_dir() plus Lora/me.safetensors (tiny_lora), in a folder of its own (made once).
std::string tiny_models_dir_with_lora();
// Writes DIR/me.safetensors, a kohya LoRA for the tiny models: the transformer's first qkv and the
// tiny CLIP's first q_proj. Returns its path.
std::string tiny_lora(const std::string& dir);
// The fixture's real photo (yolo_io's in.image_rgb, 512x288) written as a PNG.
std::string photo_png();

// One generator over a models folder (the tiny one by default), on `placement`'s device, fed A1111
// request JSON with images as file paths.
struct TinyRun {
  explicit TinyRun(DevicePlacement placement = {}, const std::string& models_dir = tiny_models_dir(),
                   bool keep_text_encoders = true);
  ModelManager models;
  HashCache hashes;
  ProgressTracker progress;
  Generator gen;
  GenerationResult operator()(const std::string& patch);
};

}  // namespace fluxgen::test
