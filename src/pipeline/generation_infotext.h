// The infotext of one generated image, in Forge's parameter order: the request's settings plus
// what only the run knows (the image's seed, the model's name and hash, the LoRAs' hashes, which
// passes ran). The text format itself is infotext.h's.
#pragma once
#include <cstdint>
#include <string>

#include "pipeline/generation_request.h"

namespace fluxgen {

struct ImageRunFacts {
  int64_t seed = 0;
  std::string model_name, model_hash;
  std::string lora_hashes;  // "name: hash, ..." or ""
  bool img2img = false, inpaint = false, hires = false;
};

std::string generation_infotext(const GenerationRequest& request, const ImageRunFacts& facts);

}  // namespace fluxgen
