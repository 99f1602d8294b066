// A torch.save checkpoint (.pt/.pth/.ckpt/.bin) seen as a TensorStore: every tensor reachable from
// the pickle, named as state_dict_names.h describes, read as data without running any code.
// Shapes and dtypes come from the pickle alone; get() materializes a tensor from the mapped file
// (zero-copy when its layout allows).
#pragma once
#include <memory>
#include <string>

#include "io/tensor_store.h"
#include "io/torch_pickle/pickle_value.h"

namespace fluxgen {

std::shared_ptr<TensorStore> open_torch_checkpoint_store(const std::string& path);
// The same over bytes in memory (tests and the fuzzer); `source` names them in messages.
std::shared_ptr<TensorStore> torch_checkpoint_store_from_bytes(std::shared_ptr<const std::string> bytes,
                                                               const std::string& source,
                                                               const torch_pickle::Limits& limits = {});

}  // namespace fluxgen
