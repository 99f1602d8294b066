// Where generated images go, named as A1111 names them: "<5-digit number>-<seed>.png", the number
// continuing from the highest one already in the folder.
#pragma once
#include <string>

#include "io/image/image.h"

namespace fluxgen {

// The next free image number in `dir` (0 for an empty or missing folder).
int next_image_number(const std::string& dir);
// Writes the PNG with its infotext ("parameters") atomically and returns its path. Creates `dir`.
std::string save_generated_image(const std::string& dir, int number, int64_t seed, const Image& image,
                                 const std::string& infotext);

}  // namespace fluxgen
