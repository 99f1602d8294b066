#include "pipeline/presets.h"
#include "server/http_json.h"
#include "server/routes.h"

namespace fluxgen::server {

namespace {

// The ADetailer model files (the detector folders), for clients that offer a choice of ad_model:
// [{"name": "face_yolov8s.pt", "path": "..."}], named as ad_model takes them.
json::Value detectors(ServerContext& ctx) {
  ctx.catalog.refresh(ModelFolder::Detectors);
  json::Value out = json::Value::array();
  for (const CatalogEntry& e : ctx.catalog.list(ModelFolder::Detectors)) {
    json::Value d = json::Value::object();
    d["name"] = e.filename;
    d["path"] = e.path;
    out.push_back(d);
  }
  return out;
}

}  // namespace

void add_fluxgen_routes(httplib::Server& http, ServerContext& ctx) {
  http.Get("/fluxgen/v1/presets", json_route([](const httplib::Request&) { return presets_json(); }));
  http.Get("/fluxgen/v1/queue", json_route([&ctx](const httplib::Request&) { return ctx.generation.queue_status(); }));
  http.Get("/fluxgen/v1/detectors", json_route([&ctx](const httplib::Request&) { return detectors(ctx); }));
}

}  // namespace fluxgen::server
