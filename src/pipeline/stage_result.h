// What a pass after the first (HiRes.fix, one ADetailer unit) gives back to the generator.
#pragma once
#include <string>
#include <vector>

#include "io/image/image.h"

namespace fluxgen {

struct StageResult {
  Image image;
  bool interrupted = false;        // the user stopped it: the image is what was finished
  std::vector<std::string> notes;  // for the user (the log, the API's info)
};

}  // namespace fluxgen
