// `fluxgen presets`: the document's workflow presets and prompt snippets.
#include <cstdio>

#include "cli/commands.h"
#include "pipeline/presets.h"

namespace fluxgen::cli {

void register_presets_command(CLI::App& app) {
  auto as_json = std::make_shared<bool>(false);
  CLI::App* cmd = app.add_subcommand("presets", "List the presets (fast, quality, max) and prompt snippets");
  cmd->add_flag("--json", *as_json, "Print them as JSON (the API's GET /fluxgen/v1/presets)");
  cmd->callback([as_json] {
    if (*as_json) {
      std::printf("%s\n", presets_json().dump(2).c_str());
      return;
    }
    std::printf("Presets (use --preset NAME; explicit flags win):\n");
    for (const Preset& p : presets()) std::printf("  %-8s %s\n", p.name.c_str(), p.description.c_str());
    std::printf("\nPrompt snippets:\n");
    for (const PromptSnippet& s : prompt_snippets()) std::printf("  %-12s %s\n", s.name.c_str(), s.text.c_str());
    std::printf("\nLoRA weights: portraits 0.7-0.9, full body 0.6-0.8, group photos 0.5-0.7 (<lora:NAME:0.8>)\n");
  });
}

}  // namespace fluxgen::cli
