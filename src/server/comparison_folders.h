// Where the server keeps the reports of POST /fluxgen/v1/compare: one folder per comparison under
// OUTPUT_DIR/compare (serve --output-dir), named by its start time ("20261207-112233", "-2" ... when
// two start in one second). An id is only ever that name or "latest", so a URL never reaches
// another path.
#pragma once
#include <mutex>
#include <optional>
#include <string>

namespace fluxgen::server {

class ComparisonFolders {
 public:
  explicit ComparisonFolders(std::string output_dir);
  // Creates the folder of a new comparison; returns its id (path_of gives the folder). Throws
  // fluxgen::Error when it cannot.
  std::string create();
  // The folder of `id` ("latest": the newest holding a report.html), or nullopt when there is none.
  std::optional<std::string> path_of(const std::string& id) const;

 private:
  std::string root_;  // OUTPUT_DIR/compare
  mutable std::mutex mu_;
};

}  // namespace fluxgen::server
