#include "server/comparison_folders.h"

#include <ctime>
#include <filesystem>
#include <regex>

#include "util/error.h"

namespace fluxgen::server {

namespace fs = std::filesystem;

namespace {
const std::regex& id_pattern() {
  static const std::regex re(R"((\d{8}-\d{6})(?:-(\d{1,4}))?)");
  return re;
}

// "20261207-112233-2" -> ("20261207-112233", 2): the order in which comparisons started.
std::optional<std::pair<std::string, int>> start_order(const std::string& id) {
  std::smatch m;
  if (!std::regex_match(id, m, id_pattern())) return std::nullopt;
  return std::make_pair(m[1].str(), m[2].matched ? std::stoi(m[2].str()) : 1);
}
}  // namespace

ComparisonFolders::ComparisonFolders(std::string output_dir) : root_((fs::path(output_dir) / "compare").string()) {}

std::string ComparisonFolders::create() {
  std::lock_guard<std::mutex> lock(mu_);
  const std::time_t t = std::time(nullptr);
  std::tm tm{};
  localtime_r(&t, &tm);
  char stamp[32];
  std::strftime(stamp, sizeof stamp, "%Y%m%d-%H%M%S", &tm);
  std::error_code ec;
  fs::create_directories(root_, ec);
  if (ec) fail(root_, ": cannot create the comparison folder: ", ec.message());
  for (int n = 1; n < 10000; ++n) {
    const std::string id = n == 1 ? std::string(stamp) : std::string(stamp) + "-" + std::to_string(n);
    if (fs::create_directory(fs::path(root_) / id, ec)) return id;
    if (ec) fail(root_, "/", id, ": cannot create the comparison folder: ", ec.message());
  }
  fail(root_, ": too many comparisons started in one second");
}

std::optional<std::string> ComparisonFolders::path_of(const std::string& id) const {
  std::lock_guard<std::mutex> lock(mu_);
  std::error_code ec;
  if (id == "latest") {
    std::optional<std::pair<std::string, int>> newest;
    std::string newest_name;
    for (const auto& e : fs::directory_iterator(root_, ec)) {
      const std::string name = e.path().filename().string();
      const auto order = start_order(name);
      if (!order || !fs::is_regular_file(e.path() / "report.html", ec)) continue;
      if (!newest || *order > *newest) {
        newest = order;
        newest_name = name;
      }
    }
    if (!newest) return std::nullopt;
    return (fs::path(root_) / newest_name).string();
  }
  if (!start_order(id)) return std::nullopt;
  const fs::path p = fs::path(root_) / id;
  if (!fs::is_directory(p, ec)) return std::nullopt;
  return p.string();
}

}  // namespace fluxgen::server
