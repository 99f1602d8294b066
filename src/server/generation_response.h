// The body of a /sdapi/v1/txt2img or img2img answer, shaped as A1111's TextToImageResponse:
// {"images": [base64 PNG carrying the infotext], "parameters": the request, "info": a JSON string
// of Processed.js()'s fields (prompt, all_prompts, seed, all_seeds, infotexts, version ...)}.
#pragma once
#include <string>

#include "io/json.h"
#include "pipeline/generator.h"
#include "server/request_validation.h"

namespace fluxgen::server {

// What the worker reports about a finished job besides the images.
struct JobReport {
  GenerationResult result;
  std::string model_name;     // the checkpoint's stem
  std::string model_hash;     // sha256[:10], as "Model hash"
  std::string job_timestamp;  // A1111's "%Y%m%d%H%M%S" at the job's start
};

json::Value generation_response(const json::Value& request, GenerationMode mode, const JobReport& job);

}  // namespace fluxgen::server
