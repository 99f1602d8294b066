#include "pipeline/presets.h"
#include "server/http_json.h"
#include "server/routes.h"

namespace fluxgen::server {

void add_fluxgen_routes(httplib::Server& http, ServerContext& ctx) {
  http.Get("/fluxgen/v1/presets", json_route([](const httplib::Request&) { return presets_json(); }));
  http.Get("/fluxgen/v1/queue", json_route([&ctx](const httplib::Request&) { return ctx.generation.queue_status(); }));
}

}  // namespace fluxgen::server
