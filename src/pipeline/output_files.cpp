#include "pipeline/output_files.h"

#include <cstdio>
#include <filesystem>

#include "io/image/image_io.h"
#include "util/error.h"

namespace fluxgen {

namespace fs = std::filesystem;

int next_image_number(const std::string& dir) {
  int next = 0;
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return 0;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    const std::string name = e.path().filename().string();
    int n = 0, used = 0;
    if (std::sscanf(name.c_str(), "%d%n", &n, &used) == 1 && used >= 5 && used < static_cast<int>(name.size()) &&
        name[static_cast<size_t>(used)] == '-')
      next = std::max(next, n + 1);
  }
  return next;
}

std::string save_generated_image(const std::string& dir, int number, int64_t seed, const Image& image,
                                 const std::string& infotext) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) fail(dir, ": cannot create the output folder: ", ec.message());
  char name[64];
  std::snprintf(name, sizeof name, "%05d-%lld.png", number, static_cast<long long>(seed));
  const std::string path = (fs::path(dir) / name).string();
  write_png(path, image, {{"parameters", infotext}});
  return path;
}

}  // namespace fluxgen
