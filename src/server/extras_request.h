// An A1111 Extras request body (ExtrasSingleImageRequest / ExtrasBatchImagesRequest) -> what to
// upscale and how, checked before the work takes a place in the queue: every field's type and range,
// the upscaler names (422 naming upscaler_1 / upscaler_2; a path is refused), a face restorer asked
// for (422: fluxgen has none), each base64 image, and the output size.
#pragma once
#include <string>
#include <vector>

#include "io/image/decoded_image.h"
#include "io/json.h"
#include "pipeline/extras_upscale.h"

namespace fluxgen::server {

struct ExtrasInput {
  std::string name;  // the batch's FileData.name; "" for the single image
  DecodedImage image;
};

struct ExtrasRequest {
  ExtrasUpscale upscale;
  std::vector<ExtrasInput> images;
};

// `batch`: the images come as imageList [{"data", "name"}], else as "image". Throws ApiError.
ExtrasRequest parse_extras_request(const json::Value& body, bool batch, const std::string& models_dir);

}  // namespace fluxgen::server
