#include <filesystem>
#include <fstream>
#include <sstream>

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

// A file of a comparison's folder: its report pages and PNGs (names the report writer gives).
void send_comparison_file(ServerContext& ctx, const httplib::Request& req, httplib::Response& res) {
  const std::string id = req.matches[1].str(), name = req.matches[2].str();
  const auto dir = ctx.generation.comparisons().path_of(id);
  std::ifstream in;
  if (dir) in.open(std::filesystem::path(*dir) / name, std::ios::binary);
  if (!in.is_open()) {
    send_error(res, ApiError(404, "NotFound", "no comparison file " + id + "/" + name));
    return;
  }
  std::stringstream body;
  body << in.rdbuf();
  const std::string ext = std::filesystem::path(name).extension().string();
  const char* type = ext == ".html" ? "text/html; charset=utf-8"
                     : ext == ".png" ? "image/png"
                     : ext == ".json" ? "application/json"
                                      : "text/markdown; charset=utf-8";
  res.set_header("Cache-Control", "no-cache");
  res.set_header("X-Content-Type-Options", "nosniff");
  res.set_content(body.str(), type);
}

}  // namespace

void add_fluxgen_routes(httplib::Server& http, ServerContext& ctx) {
  http.Get("/fluxgen/v1/presets", json_route([](const httplib::Request&) { return presets_json(); }));
  http.Get("/fluxgen/v1/queue", json_route([&ctx](const httplib::Request&) { return ctx.generation.queue_status(); }));
  http.Get(R"(/fluxgen/v1/jobs/([^/]+))",
           json_route([&ctx](const httplib::Request& req) { return ctx.generation.job(req.matches[1].str()); }));
  http.Get("/fluxgen/v1/detectors", json_route([&ctx](const httplib::Request&) { return detectors(ctx); }));
  http.Post("/fluxgen/v1/compare",
            json_route([&ctx](const httplib::Request& req) { return ctx.generation.compare(parse_json_body(req)); }));
  http.Get(R"(/fluxgen/v1/compare/(latest|\d{8}-\d{6}(?:-\d{1,4})?)/([a-z0-9-]+\.(?:html|png|json|md)))",
           [&ctx](const httplib::Request& req, httplib::Response& res) { send_comparison_file(ctx, req, res); });
}

}  // namespace fluxgen::server
