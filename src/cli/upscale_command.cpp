// `fluxgen upscale IN --upscaler NAME --scale S OUT.png`: an image enlarged as A1111's Extras tab
// does it (the named upscaler, tiled, then Lanczos to exactly scale × the size).
#include <cstdio>

#include "cli/commands.h"
#include "cli/device_cli_options.h"
#include "imaging/a1111_resize.h"
#include "io/image/image_io.h"
#include "models/upscaler.h"
#include "pipeline/generation_settings.h"
#include "pipeline/image_upscale.h"
#include "pipeline/placement/device_weight_store.h"
#include "util/error.h"

namespace fluxgen::cli {

void register_upscale_command(CLI::App& app) {
  struct Options {
    std::string input, output, upscaler = "Lanczos", models_dir;
    double scale = 4.0;
    DeviceCliOptions device;
  };
  auto o = std::make_shared<Options>();
  CLI::App* cmd = app.add_subcommand("upscale", "Upscale an image with an ESRGAN / Real-ESRGAN model (tiled) or Lanczos");
  cmd->add_option("input", o->input, "Image to upscale (PNG, JPEG, WebP)")->required();
  cmd->add_option("output", o->output, "Output PNG")->required();
  cmd->add_option("--upscaler", o->upscaler, "Upscaler: a model file, a model name in the upscaler folders of "
                                             "--models-dir (4x-UltraSharp ...), Lanczos or Nearest")
      ->capture_default_str();
  cmd->add_option("--scale", o->scale, "Scale factor")->check(CLI::Range(1.0, 16.0))->capture_default_str();
  cmd->add_option("--models-dir", o->models_dir, "Forge's or ComfyUI's models folder");
  add_device_options(cmd, o->device);
  cmd->callback([o] {
    UpscalerChoice choice;
    try {
      choice = resolve_image_upscaler(o->upscaler, o->models_dir, "--upscaler", /*allow_paths=*/true);
    } catch (const FieldError& e) {
      fail(e.field(), ": ", e.reason());
    }
    const Image input = to_rgb(read_image(o->input));
    std::shared_ptr<const Upscaler> model;
    if (choice.kind == UpscalerChoice::Kind::Model) {
      UpscalerOptions options;
      options.placement = store_placement(o->device.resolve().device);
      model = Upscaler::load(choice.path, options);
      std::fprintf(stderr, "%s: %s\n", choice.path.c_str(), model->description().c_str());
    }
    const int w = static_cast<int>(input.width * o->scale), h = static_cast<int>(input.height * o->scale);
    const auto progress = [](int64_t done, int64_t total) {
      std::fprintf(stderr, "\rupscaling: tile %lld/%lld", static_cast<long long>(done), static_cast<long long>(total));
      if (done == total) std::fputc('\n', stderr);
    };
    const Image out = imaging::a1111_resize_image(input, imaging::ResizeMode::JustResize, w, h,
                                                  [&](const Image& img, double scale) {
                                                    return upscale_image(choice, model.get(), img, scale, progress);
                                                  });
    write_png(o->output, out);
    std::printf("%s: %dx%d\n", o->output.c_str(), out.width, out.height);
  });
}

}  // namespace fluxgen::cli
