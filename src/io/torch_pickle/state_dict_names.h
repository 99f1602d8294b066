// Names for the tensors of an unpickled checkpoint, the way PyTorch code would address them:
//  - dict keys (str or int) joined with '.': {"params_ema": {"conv_first.weight": T}} gives
//    "params_ema.conv_first.weight"; list and tuple elements by index;
//  - a module tree pickled whole (an inert object holding _parameters/_buffers/_modules) by its
//    state_dict() names under its path: {"model": DetectionModel} gives "model.model.0.conv.weight";
//    persistent buffers only, as state_dict() does;
//  - tensors that are plain attributes of a module (not parameters or buffers, e.g. Ultralytics'
//    DetectionModel.stride) by their attribute path from the outermost module ("stride",
//    "model.22.stride"), as model code reads them (model.stride); such a name never displaces a
//    state-dict name;
//  - other inert objects (argparse.Namespace ...) by their attribute names.
// Sets, opaque values and non-tensor leaves carry no tensors and are skipped.
#pragma once
#include <string>
#include <vector>

#include "io/torch_pickle/pickle_value.h"

namespace fluxgen::torch_pickle {

struct NamedTensor {
  std::string name;
  size_t tensor = 0;  // index into TorchObjects::tensors
};

// Sorted by name. `object_count` (the arena size) bounds the walk, so a pickle whose shared
// references make exponentially many paths fails cleanly instead of running forever.
std::vector<NamedTensor> name_tensors(const Value* root, const Limits& limits, size_t object_count);

}  // namespace fluxgen::torch_pickle
