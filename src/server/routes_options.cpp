#include "server/http_json.h"
#include "server/routes.h"

namespace fluxgen::server {

void add_option_routes(httplib::Server& http, ServerContext& ctx) {
  http.Get("/sdapi/v1/options", json_route([&ctx](const httplib::Request&) {
             return ctx.options.to_json(ctx.generation.checkpoint_title());
           }));
  // A1111 answers null; the new values apply to the jobs that start afterwards.
  http.Post("/sdapi/v1/options", json_route([&ctx](const httplib::Request& req) {
              ctx.options.apply(parse_json_body(req));
              return json::Value();
            }));
}

}  // namespace fluxgen::server
