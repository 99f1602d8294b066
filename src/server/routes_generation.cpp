#include "server/http_json.h"
#include "server/routes.h"

namespace fluxgen::server {

void add_generation_routes(httplib::Server& http, ServerContext& ctx) {
  GenerationService& generation = ctx.generation;
  http.Post("/sdapi/v1/txt2img", json_route([&generation](const httplib::Request& req) {
              return generation.generate(parse_json_body(req), GenerationMode::Txt2Img);
            }));
  http.Post("/sdapi/v1/img2img", json_route([&generation](const httplib::Request& req) {
              return generation.generate(parse_json_body(req), GenerationMode::Img2Img);
            }));
}

}  // namespace fluxgen::server
