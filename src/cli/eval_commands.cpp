// `fluxgen eval ...`: each numerical subsystem registers its entry point here.
#include "cli/commands.h"
#include "cli/eval_registry.h"

namespace fluxgen::cli {

void register_eval_commands(CLI::App& eval) {
  for (const auto& reg : eval_registrations()) reg(eval);
}

}  // namespace fluxgen::cli
