// `fluxgen eval yolo --weights F --inputs IO --output OUT`: the YOLOv8 detector on the fixture's
// inputs (fixtures/README.md): in.tensor -> out.raw (Detect's output); in.image_rgb (uint8 HWC) ->
// out.letterboxed (the network input) -> out.raw_letterboxed -> out.boxes (N×6: x1, y1, x2, y2 in
// image pixels, confidence, class) after NMS. Either input may be absent.
#include <cstdio>
#include <cstring>

#include "cli/eval_registry.h"
#include "cli/flux_cli_options.h"
#include "io/safetensors.h"
#include "models/yolo/letterbox.h"
#include "models/yolo/yolo_detector.h"
#include "util/error.h"

namespace fluxgen::cli {

namespace {

// A [H, W, 3] uint8 tensor (numpy's HWC RGB) as an image.
Image hwc_image(const SafetensorsFile& io, const std::string& path, const std::string& name) {
  const Tensor t = io.get(name);
  check(t.dtype() == DType::U8 && t.ndim() == 3 && t.dim(2) == 3, path, ": tensor ", name, " is ", t.describe(),
        ", expected U8[H, W, 3] (RGB)");
  check_image_size(t.dim(1), t.dim(0), path + ": " + name);
  Image im(static_cast<int>(t.dim(1)), static_cast<int>(t.dim(0)), 3);
  std::memcpy(im.pixels.data(), t.raw_data(), im.pixels.size());
  return im;
}

}  // namespace

void register_eval_yolo(CLI::App& eval) {
  struct Args {
    std::string weights, inputs, output;
    float confidence = 0.25f;
    double iou = 0.7;
  };
  auto args = std::make_shared<Args>();
  CLI::App* cmd = eval.add_subcommand(
      "yolo", "YOLOv8 detector: in.tensor -> out.raw; in.image_rgb -> out.letterboxed, out.raw_letterboxed, out.boxes");
  cmd->add_option("--weights", args->weights, "Ultralytics checkpoint (.pt) or safetensors export")->required();
  cmd->add_option("--inputs", args->inputs, "safetensors with in.tensor and/or in.image_rgb")->required();
  cmd->add_option("--output", args->output, "safetensors to write")->required();
  cmd->add_option("--confidence", args->confidence, "NMS confidence threshold (Ultralytics' default 0.25)")
      ->check(CLI::Range(0.0, 1.0));
  cmd->add_option("--iou", args->iou, "NMS IoU threshold (default 0.7)")->check(CLI::Range(0.0, 1.0));
  cmd->callback([args] {
    const auto detector = yolo::YoloDetector::load(args->weights);
    const auto io = SafetensorsFile::open(args->inputs);
    check(io->contains("in.tensor") || io->contains("in.image_rgb"), args->inputs,
          ": holds neither in.tensor nor in.image_rgb");
    std::vector<std::pair<std::string, Tensor>> out;
    if (io->contains("in.tensor")) out.emplace_back("out.raw", detector->model().forward(io->get_f32("in.tensor")));
    if (io->contains("in.image_rgb")) {
      const Image image = hwc_image(*io, args->inputs, "in.image_rgb");
      const auto [h, w] = detector->model().info().imgsz;
      const yolo::Letterbox lb = yolo::letterbox(image, h, w);
      const Tensor x = yolo::letterbox_tensor(lb.image);
      const Tensor raw = detector->model().forward(x);
      yolo::NmsOptions nms;
      nms.confidence = args->confidence;
      nms.iou = args->iou;
      std::vector<yolo::Detection> dets = yolo::non_max_suppression(raw, nms);
      yolo::scale_boxes(dets, lb.image.height, lb.image.width, image.height, image.width);
      out.emplace_back("out.letterboxed", x);
      out.emplace_back("out.raw_letterboxed", raw);
      out.emplace_back("out.boxes", yolo::detections_tensor(dets));
      std::printf("%s: %s; %dx%d -> letterboxed %dx%d, %zu boxes\n", args->weights.c_str(),
                  detector->model().describe().c_str(), image.width, image.height, lb.image.width, lb.image.height,
                  dets.size());
    }
    write_safetensors(args->output, out);
  });
}

}  // namespace fluxgen::cli
