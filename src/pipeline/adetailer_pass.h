// ADetailer's face pass (Bing-su/adetailer scripts/!adetailer.py _postprocess_image_inner), run
// natively: detect with the unit's YOLOv8 model at ad_confidence, turn boxes into masks
// (adetailer/detection_masks.h), and for each mask j inpaint with the unit's prompt piece at seed
// + j — "only masked" by default: the mask's padded box at the processing size — each result the
// next one's input. No detection leaves the image unchanged, with a note.
#pragma once
#include "pipeline/adetailer/adetailer_args.h"
#include "pipeline/stage_context.h"
#include "pipeline/text_conditioning.h"

namespace fluxgen {

struct ADetailerInput {
  Image image;
  int64_t seed;
  std::string prompt;           // the generation's prompt (LoRA tags removed), for [PROMPT]/empty pieces
  std::string negative_prompt;
  int job_no;
};

// Returns the image after every mask of the unit; *interrupted when the user stopped it.
Image run_adetailer_unit(StageContext& ctx, const ADetailerUnitRequest& unit, const ADetailerInput& in,
                         bool* interrupted);

}  // namespace fluxgen
