#include "io/image/image_io.h"
#include "pipeline/infotext.h"
#include "server/http_json.h"
#include "server/routes.h"
#include "util/error.h"
#include "util/strings.h"

namespace fluxgen::server {

namespace {

// The base64 image under `field` of a JSON body; 422 naming the field when absent or undecodable.
DecodedImage image_field(const json::Value& body, const char* field) {
  if (!body.is_object()) throw validation_error("body", "must be a JSON object");
  const json::Value* v = body.find(field);
  if (!v || v->is_null()) throw validation_error(field, "field required: a base64 PNG, JPEG or WebP image");
  if (!v->is_string()) throw validation_error(field, "must be a base64 string");
  try {
    return decode_image_base64(trim(v->as_string()), field);
  } catch (const Error& e) {
    throw validation_error(field, e.what());
  }
}

// A1111's parse_generation_parameters as a JSON object: "Prompt", "Negative prompt", then every
// parameter as its string, a size ("896x1152") split into "<key>-1" and "<key>-2".
json::Value parameters_json(const Infotext& info) {
  json::Value p = json::Value::object();
  p["Prompt"] = info.prompt;
  p["Negative prompt"] = info.negative_prompt;
  for (const auto& [key, value] : info.params) {
    if (const auto size = infotext_size(value)) {
      p[key + "-1"] = std::to_string(size->first);
      p[key + "-2"] = std::to_string(size->second);
    } else {
      p[key] = value;
    }
  }
  return p;
}

// A1111's PNGInfoResponse: the infotext (the same reading as `fluxgen png-info`), the image's other
// text entries, and the parsed parameters. An image without parameters answers "" and {}.
json::Value png_info(const httplib::Request& req) {
  const DecodedImage decoded = image_field(parse_json_body(req), "image");
  const std::string info = infotext_from_metadata(decoded.metadata).value_or("");
  json::Value items = json::Value::object();
  for (const auto& [key, text] : decoded.metadata.text)
    if (key != "parameters") items[key] = text;
  json::Value out = json::Value::object();
  out["info"] = info;
  out["items"] = items;
  out["parameters"] = info.empty() ? json::Value::object() : parameters_json(parse_infotext(info));
  return out;
}

}  // namespace

void add_image_info_routes(httplib::Server& http, ServerContext&) {
  http.Post("/sdapi/v1/png-info", json_route(png_info));
  // A clear refusal rather than 404: clients call it and should learn why it cannot work here.
  http.Post("/sdapi/v1/interrogate", json_route([](const httplib::Request&) -> json::Value {
              throw ApiError(501, "NotImplemented",
                             "interrogate is not available: fluxgen has no captioning model (CLIP interrogator or "
                             "DeepDanbooru)");
            }));
}

}  // namespace fluxgen::server
