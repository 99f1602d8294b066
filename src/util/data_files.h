// fluxgen's shipped data (tokenizer files, presets) lives in a `data/` folder. It is found, in
// order: $FLUXGEN_DATA_DIR; beside the executable (<exe dir>/data, <exe dir>/../data,
// <exe dir>/../share/fluxgen); the source tree's data/ compiled in as FLUXGEN_DATA_DIR.
#pragma once
#include <string>
#include <string_view>
#include <vector>

namespace fluxgen {

// The data folders to search, in order (those that are not set are left out).
std::vector<std::string> data_search_dirs();
// The path of `relative` (a file or folder) in the first data folder holding it; throws an
// Error naming every place it looked.
std::string find_data_path(std::string_view relative);

}  // namespace fluxgen
