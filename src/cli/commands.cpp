#include "cli/commands.h"

namespace fluxgen::cli {

std::vector<CommandRegistration> top_level_commands() {
  return {
      register_generate_command,
      register_compare_command,
      register_upscale_command,
      register_info_command,
      register_png_info_command,
      register_convert_command,
      register_tokenize_command,
      register_presets_command,
      register_detect_command,
      register_serve_command,
      register_worker_command,
  };
}

}  // namespace fluxgen::cli
