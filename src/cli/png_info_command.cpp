// `fluxgen png-info FILE`: prints the generation parameters stored in an image, found where A1111
// and Forge put them (PNG "parameters" text, JPEG/WebP EXIF UserComment).
#include <cstdio>

#include "cli/commands.h"
#include "io/image/image_io.h"
#include "util/error.h"

namespace fluxgen::cli {

void register_png_info_command(CLI::App& app) {
  auto file = std::make_shared<std::string>();
  CLI::App* cmd = app.add_subcommand(
      "png-info", "Print the generation parameters (A1111/Forge infotext) stored in a PNG, JPEG or WebP image");
  cmd->add_option("file", *file, "Image file")->required();
  cmd->callback([file] {
    const DecodedImage decoded = read_image_file(*file);
    const auto info = infotext_from_metadata(decoded.metadata);
    if (!info) {
      fail(*file, ": no generation parameters in this ", image_format_name(decoded.format),
           " image (no \"parameters\" text chunk or EXIF UserComment)");
    }
    std::fwrite(info->data(), 1, info->size(), stdout);
    std::fputc('\n', stdout);
  });
}

}  // namespace fluxgen::cli
