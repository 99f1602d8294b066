// `fluxgen detect IMAGE --model F [--confidence C] [--output OUT.png]`: runs a YOLOv8 detector (an
// ADetailer model such as face_yolov8n.pt) on an image the way ADetailer does, prints one line per
// box, "x1 y1 x2 y2 confidence class-name" in image pixels, best first, and with --output writes
// the image with the boxes outlined.
#include <cmath>
#include <cstdio>

#include "cli/commands.h"
#include "cli/device_cli_options.h"
#include "imaging/draw.h"
#include "io/image/image_io.h"
#include "models/yolo/yolo_detector.h"
#include "pipeline/placement/device_weight_store.h"
#include "util/error.h"

namespace fluxgen::cli {

namespace {

// Ultralytics' plotting palette (ultralytics/utils/plotting.py Colors), by class.
const uint8_t kPalette[][3] = {{0xFF, 0x38, 0x38}, {0xFF, 0x9D, 0x97}, {0xFF, 0x70, 0x1F}, {0xFF, 0xB2, 0x1D},
                               {0xCF, 0xD2, 0x31}, {0x48, 0xF9, 0x0A}, {0x92, 0xCC, 0x17}, {0x3D, 0xDB, 0x86},
                               {0x1A, 0x93, 0x34}, {0x00, 0xD4, 0xBB}};

}  // namespace

void register_detect_command(CLI::App& app) {
  struct Args {
    std::string image, model, output;
    float confidence = 0.3f;
    DeviceCliOptions device;
  };
  auto args = std::make_shared<Args>();
  CLI::App* cmd = app.add_subcommand("detect", "Run a YOLOv8 detector (ADetailer's face/hand models) on an image");
  cmd->add_option("image", args->image, "PNG, JPEG or WebP image")->required();
  cmd->add_option("--model", args->model, "Ultralytics YOLOv8 checkpoint (.pt) or safetensors export")->required();
  cmd->add_option("--confidence", args->confidence, "Confidence threshold (ADetailer's default 0.3)")
      ->check(CLI::Range(0.0, 1.0));
  cmd->add_option("--output", args->output, "Write the image with the boxes drawn (PNG)");
  add_device_options(cmd, args->device);
  cmd->callback([args] {
    const Image image = to_rgb(read_image(args->image));
    const auto detector = yolo::YoloDetector::load(args->model, store_placement(args->device.resolve().device));
    yolo::NmsOptions nms;
    nms.confidence = args->confidence;
    const std::vector<yolo::Detection> dets = detector->detect(image, nms);
    std::fprintf(stderr, "%s: %s; %s %dx%d: %zu detection%s\n", args->model.c_str(),
                 detector->model().describe().c_str(), args->image.c_str(), image.width, image.height, dets.size(),
                 dets.size() == 1 ? "" : "s");
    for (const auto& d : dets)
      std::printf("%.1f %.1f %.1f %.1f %.3f %s\n", d.x1, d.y1, d.x2, d.y2, d.confidence,
                  detector->model().info().class_name(d.cls).c_str());
    if (!args->output.empty()) {
      Image drawn = image;
      // Ultralytics' line width: max(round((h + w) / 2 · 0.003), 2).
      const int width = std::max(2, static_cast<int>(std::lround((image.width + image.height) / 2.0 * 0.003)));
      for (const auto& d : dets) {
        const uint8_t* c = kPalette[static_cast<size_t>(d.cls) % std::size(kPalette)];
        imaging::outline_rectangle(drawn, d.x1, d.y1, d.x2, d.y2, {c[0], c[1], c[2]}, width);
      }
      write_png(args->output, drawn);
    }
  });
}

}  // namespace fluxgen::cli
