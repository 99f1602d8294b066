// ADetailer's face pass (Bing-su/adetailer scripts/!adetailer.py _postprocess_image_inner), run
// natively: detect with the unit's YOLOv8 model at ad_confidence, turn boxes into masks
// (adetailer/detection_masks.h), and for each mask j inpaint with the unit's prompt piece at seed
// + j — "only masked" by default: the mask's padded box at the processing size — each result the
// next one's input. No detection leaves the image unchanged, with a note.
#pragma once
#include "pipeline/adetailer/adetailer_args.h"
#include "models/flux/flux_model.h"
#include "models/yolo/yolo_detector.h"
#include "pipeline/generation_request.h"
#include "pipeline/latent_codec.h"
#include "pipeline/progress.h"
#include "pipeline/stage_result.h"
#include "pipeline/text_conditioning.h"

namespace fluxgen {

struct ADetailerInput {
  Image image;
  int64_t seed;
  std::string prompt;           // the generation's prompt (LoRA tags removed), for [PROMPT]/empty pieces
  std::string negative_prompt;
  int job_no;
};

// What the unit runs on: its detector (unit.detector, loaded) and the text encoders for its prompts.
struct ADetailerModels {
  const flux::FluxModel& flux;
  const LatentCodec& codec;
  const yolo::YoloDetector& detector;
  TextEncoders& text;
};

// The image after every mask of the unit (the input unchanged, with a note, when nothing is found).
StageResult run_adetailer_unit(const ADetailerModels& models, const GenerationRequest& request,
                               const ADetailerUnitRequest& unit, const ADetailerInput& in, ProgressTracker& progress);

}  // namespace fluxgen
