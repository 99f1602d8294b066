#include "server/extras_request.h"

#include <cmath>

#include "io/image/image_io.h"
#include "pipeline/generation_settings.h"
#include "pipeline/json_fields.h"
#include "server/api_error.h"
#include "util/error.h"
#include "util/strings.h"

namespace fluxgen::server {

namespace {

// A1111's Extras sliders end at 8192 pixels a side (Scale to) and 8x (Scale by); fluxgen refuses
// larger outputs rather than spend minutes and gigabytes on them.
constexpr int kMaxExtrasSide = 8192;
constexpr double kMaxExtrasScale = 8.0;

DecodedImage decode_field(const json::Value& v, const std::string& field) {
  if (!v.is_string()) throw validation_error(field, "must be a base64 string");
  try {
    return decode_image_base64(trim(v.as_string()), field);
  } catch (const Error& e) {
    throw validation_error(field, e.what());
  }
}

std::vector<ExtrasInput> images_of(const json::Value& body, bool batch) {
  std::vector<ExtrasInput> out;
  if (!batch) {
    const json::Value* v = present_field(body, "image");
    if (!v || (v->is_string() && v->as_string().empty()))
      throw validation_error("image", "field required: a base64 PNG, JPEG or WebP image");
    out.push_back({"", decode_field(*v, "image")});
    return out;
  }
  const json::Value* list = present_field(body, "imageList");
  if (!list || !list->is_array() || list->size() == 0)
    throw validation_error("imageList", "field required: a list of {\"data\": base64 image, \"name\": file name}");
  for (size_t i = 0; i < list->size(); ++i) {
    const json::Value& item = list->at(i);
    const std::string at = "imageList." + std::to_string(i);
    if (!item.is_object()) throw validation_error(at, "must be an object {\"data\": base64 image, \"name\": file name}");
    const json::Value* data = present_field(item, "data");
    if (!data) throw validation_error(at + ".data", "field required: the base64 image");
    const json::Value* name = present_field(item, "name");
    if (!name || !name->is_string()) throw validation_error(at + ".name", "field required: the file name (a string)");
    out.push_back({name->as_string(), decode_field(*data, at + ".data")});
  }
  return out;
}

void check_output_size(const ExtrasRequest& r) {
  const ExtrasUpscale& u = r.upscale;
  if (u.upscaler_1.kind == UpscalerChoice::Kind::None) return;
  for (const ExtrasInput& in : r.images) {
    const double scale = extras_scale(u, in.image.image);
    const double w = std::floor(in.image.image.width * scale), h = std::floor(in.image.image.height * scale);
    if (w > kMaxExtrasSide || h > kMaxExtrasSide)
      throw validation_error(u.to_size ? "upscaling_resize_w" : "upscaling_resize",
                             "the result would be " + std::to_string(static_cast<int64_t>(w)) + "x" +
                                 std::to_string(static_cast<int64_t>(h)) + " pixels; at most " +
                                 std::to_string(kMaxExtrasSide) + " a side");
    if (static_cast<int64_t>(w) / 8 * 8 < 8 || static_cast<int64_t>(h) / 8 * 8 < 8)
      throw validation_error(u.to_size ? "upscaling_resize_w" : "upscaling_resize",
                             "the result of a " + std::to_string(in.image.image.width) + "x" +
                                 std::to_string(in.image.image.height) + " image would be smaller than 8x8 pixels");
  }
}

}  // namespace

ExtrasRequest parse_extras_request(const json::Value& body, bool batch, const std::string& models_dir) {
  if (!body.is_object()) throw validation_error("body", "must be a JSON object");
  ExtrasRequest r;
  ExtrasUpscale& u = r.upscale;
  try {
    int64_t resize_mode = 0;
    get_int(body, "resize_mode", resize_mode, 0, 1);
    u.to_size = resize_mode == 1;
    bool ignored = true;  // show_extras_results, upscale_first: images are always returned; no face pass to order
    get_bool(body, "show_extras_results", ignored);
    get_bool(body, "upscale_first", ignored);
    // Face restoration (GFPGAN, CodeFormer) does not exist in fluxgen: asking for it is an error,
    // the clients' default 0 is not.
    for (const char* field : {"gfpgan_visibility", "codeformer_visibility"}) {
      double visibility = 0.0;
      get_number(body, field, visibility, 0.0, 1.0);
      if (visibility > 0)
        throw FieldError(field, "face restoration is not available in fluxgen (GET /sdapi/v1/face-restorers lists "
                                "none); send 0");
    }
    double codeformer_weight = 0.0;
    get_number(body, "codeformer_weight", codeformer_weight, 0.0, 1.0);
    get_number(body, "upscaling_resize", u.scale, 1e-6, kMaxExtrasScale);
    get_int(body, "upscaling_resize_w", u.width, 1, kMaxExtrasSide);
    get_int(body, "upscaling_resize_h", u.height, 1, kMaxExtrasSide);
    get_bool(body, "upscaling_crop", u.crop);
    get_number(body, "extras_upscaler_2_visibility", u.upscaler_2_visibility, 0.0, 1.0);
    std::string name_1 = "None", name_2 = "None";
    get_string(body, "upscaler_1", name_1);
    get_string(body, "upscaler_2", name_2);
    u.upscaler_1 = resolve_image_upscaler(name_1, models_dir, "upscaler_1", /*allow_paths=*/false);
    if (name_2 != "None") u.upscaler_2 = resolve_image_upscaler(name_2, models_dir, "upscaler_2", /*allow_paths=*/false);
  } catch (const FieldError& e) {
    throw validation_error(e.field(), e.reason());
  }
  r.images = images_of(body, batch);
  check_output_size(r);
  return r;
}

}  // namespace fluxgen::server
