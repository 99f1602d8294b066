// A txt2img / img2img request body -> the settings of one job, checked before the job takes a
// place in the queue: every field's type and range (resolve_settings: 422 naming the field),
// sampler / scheduler / storage / upscaler names (422), model, module, LoRA and detector names
// (404 when not installed), and the base64 images (422 when they do not decode). Every name
// resolves to a file inside the models folders; a client never makes the server read a path.
#pragma once
#include <string>

#include "io/json.h"
#include "pipeline/generation_request.h"
#include "server/api_options.h"
#include "server/model_catalog.h"

namespace fluxgen::server {

enum class GenerationMode { Txt2Img, Img2Img };

// The request, parsed (pipeline/generation_request.h) and its files resolved by the server's
// rules. Throws ApiError.
GenerationRequest request_from_body(const json::Value& body, GenerationMode mode, const OptionValues& options,
                                    ModelCatalog& catalog);

}  // namespace fluxgen::server
