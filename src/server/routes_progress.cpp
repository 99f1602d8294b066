#include "server/http_json.h"
#include "server/routes.h"
#include "util/strings.h"

namespace fluxgen::server {

void add_progress_routes(httplib::Server& http, ServerContext& ctx) {
  GenerationService& generation = ctx.generation;
  http.Get("/sdapi/v1/progress", json_route([&generation](const httplib::Request& req) {
             bool skip_image = false;
             if (req.has_param("skip_current_image")) {
               const std::string v = to_lower(req.get_param_value("skip_current_image"));
               if (v == "true" || v == "1" || v == "yes" || v == "on") skip_image = true;
               else if (v == "false" || v == "0" || v == "no" || v == "off") skip_image = false;
               else throw ApiError(422, "RequestValidationError", "skip_current_image: value could not be parsed to a boolean",
                                   "skip_current_image");
             }
             return generation.progress(skip_image);
           }));
  http.Post("/sdapi/v1/interrupt", json_route([&generation](const httplib::Request&) {
              generation.interrupt();
              return json::Value::object();  // A1111 answers {}
            }));
  http.Post("/sdapi/v1/skip", json_route([&generation](const httplib::Request&) {
              generation.skip();
              return json::Value();  // A1111 answers null
            }));
}

}  // namespace fluxgen::server
