// ModelInfo from an Ultralytics .pt checkpoint's pickled module tree, read as data (no code runs):
// the DetectionModel under "ema" when present (as Ultralytics' attempt_load_one_weight prefers it)
// else "model"; its yaml (nc, scale and the scales table or depth/width multiples), its names, the
// task from train_args, every top-level layer's class, each Conv's activation module, each
// BatchNorm's eps and each Bottleneck's shortcut flag.
#pragma once
#include "io/torch_pickle/torch_checkpoint.h"
#include "models/yolo/model_info.h"

namespace fluxgen::yolo {

ModelInfo model_info_from_checkpoint(const torch_pickle::TorchCheckpoint& checkpoint);

}  // namespace fluxgen::yolo
