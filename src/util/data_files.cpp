#include "util/data_files.h"

#include <cstdlib>
#include <filesystem>
#include <system_error>

#include "util/error.h"
#include "util/strings.h"

namespace fluxgen {

namespace fs = std::filesystem;

std::vector<std::string> data_search_dirs() {
  std::vector<std::string> dirs;
  if (const char* env = std::getenv("FLUXGEN_DATA_DIR"); env && *env) dirs.emplace_back(env);
  std::error_code ec;
  const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (!ec && exe.has_parent_path()) {
    const fs::path dir = exe.parent_path();
    for (const fs::path& p : {dir / "data", dir.parent_path() / "data", dir.parent_path() / "share" / "fluxgen"})
      dirs.push_back(p.lexically_normal().string());
  }
#ifdef FLUXGEN_DATA_DIR
  dirs.emplace_back(FLUXGEN_DATA_DIR);
#endif
  return dirs;
}

std::string find_data_path(std::string_view relative) {
  std::vector<std::string> tried;
  for (const auto& dir : data_search_dirs()) {
    const fs::path p = fs::path(dir) / relative;
    std::error_code ec;
    if (fs::exists(p, ec)) return p.string();
    tried.push_back(p.string());
  }
  fail("fluxgen data file ", relative, " not found; looked in: ", join(tried, ", "),
       " (set FLUXGEN_DATA_DIR to fluxgen's data folder)");
}

}  // namespace fluxgen
