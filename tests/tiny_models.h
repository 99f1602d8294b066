// The tiny fixture models as a Forge-layout models folder, and the fixture's real photo, for the
// end-to-end tests (CPU and stand-in device).
#pragma once
#include <string>

namespace fluxgen::test {

// A Forge-layout models folder of symlinks to the tiny fixtures (made once per process).
std::string tiny_models_dir();
// The fixture's real photo (yolo_io's in.image_rgb, 512x288) written as a PNG.
std::string photo_png();

}  // namespace fluxgen::test
