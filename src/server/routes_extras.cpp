#include "io/image/image_io.h"
#include "server/extras_request.h"
#include "server/http_json.h"
#include "server/routes.h"
#include "util/strings.h"

namespace fluxgen::server {

namespace {

// The model of a Kind::Model choice, loaded once and kept by the model manager (on the worker).
const Upscaler* model_of(ModelManager& models, const std::optional<UpscalerChoice>& choice) {
  if (!choice || choice->kind != UpscalerChoice::Kind::Model) return nullptr;
  return &models.upscaler(choice->path);
}

// Upscales every image on the worker thread (the upscaler models are the worker's, and an ESRGAN
// pass must not run beside a generation). Each result keeps its input's text entries (its
// infotext) and gains A1111's "postprocessing" entry. Answers {"html_info", "images": [...]}.
json::Value run_extras(ServerContext& ctx, const ExtrasRequest& r) {
  return ctx.generation.with_models([&r](ModelManager& models) {
    const Upscaler* model_1 = model_of(models, r.upscale.upscaler_1);
    const Upscaler* model_2 = r.upscale.upscaler_2_visibility > 0 ? model_of(models, r.upscale.upscaler_2) : nullptr;
    const std::string info = extras_infotext(r.upscale);
    json::Value images = json::Value::array();
    for (const ExtrasInput& in : r.images) {
      TextChunks text = in.image.metadata.text;
      if (!info.empty()) text.emplace_back("postprocessing", info);
      images.push_back(encode_png_base64(extras_upscale(r.upscale, model_1, model_2, in.image.image), text));
    }
    json::Value out = json::Value::object();
    out["html_info"] = info.empty() ? std::string() : "<p>" + html_escape(info) + "</p>";
    out["images"] = images;
    return out;
  });
}

}  // namespace

void add_extras_routes(httplib::Server& http, ServerContext& ctx) {
  http.Post("/sdapi/v1/extra-single-image", json_route([&ctx](const httplib::Request& req) {
              json::Value answer = run_extras(ctx, parse_extras_request(parse_json_body(req), false, ctx.catalog.models_dir()));
              json::Value out = json::Value::object();  // A1111's ExtrasSingleImageResponse
              out["html_info"] = answer.at("html_info");
              out["image"] = answer.at("images").at(0);
              return out;
            }));
  http.Post("/sdapi/v1/extra-batch-images", json_route([&ctx](const httplib::Request& req) {
              return run_extras(ctx, parse_extras_request(parse_json_body(req), true, ctx.catalog.models_dir()));
            }));
}

}  // namespace fluxgen::server
