// A POST /fluxgen/v1/compare body -> what the comparison runs, checked before the job takes a place
// in the queue: the txt2img fields as /sdapi/v1/txt2img checks them (request_from_body), what a
// comparison can run (check_comparison_settings), and "storage_options", the options to compare
// (absent: all eight; the reference always runs first). Throws ApiError (422 naming the field, 404
// for a model or LoRA that is not installed).
#pragma once
#include <vector>

#include "io/json.h"
#include "nn/storage_option.h"
#include "pipeline/generation_settings.h"
#include "server/api_options.h"
#include "server/model_catalog.h"

namespace fluxgen::server {

struct CompareRequest {
  GenerationSettings settings;
  std::vector<StorageOption> options;  // the reference first
};

CompareRequest compare_request_from(const json::Value& body, const OptionValues& options, ModelCatalog& catalog);

}  // namespace fluxgen::server
