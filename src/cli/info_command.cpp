// `fluxgen info FILE...`: what each file is, from its headers alone.
#include <cstdio>

#include "cli/commands.h"
#include "io/tensor_store.h"
#include "models/checkpoint_inspector.h"
#include "util/error.h"

namespace fluxgen::cli {

void register_info_command(CLI::App& app) {
  auto files = std::make_shared<std::vector<std::string>>();
  CLI::App* cmd = app.add_subcommand("info", "Describe weight files: tensors, dtypes, bytes, which model and layout, "
                                              "inferred configuration (reads headers only)");
  cmd->add_option("files", *files, "Weight files or diffusers folders")->required();
  cmd->callback([files] {
    // One file: its error is the command's error, one line from main.
    if (files->size() == 1) {
      std::fputs(format_report(inspect_store(*open_tensor_store(files->front()))).c_str(), stdout);
      return;
    }
    int failures = 0;
    for (const auto& f : *files) {
      try {
        const auto store = open_tensor_store(f);
        std::fputs(format_report(inspect_store(*store)).c_str(), stdout);
      } catch (const Error& e) {
        std::fprintf(stderr, "fluxgen: error: %s\n", e.what());
        ++failures;
      }
    }
    if (failures) fail(failures, " of ", files->size(), " files could not be read");
  });
}

}  // namespace fluxgen::cli
