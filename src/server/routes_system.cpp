#include "server/http_json.h"
#include "server/memory_report.h"
#include "server/routes.h"
#include "tensor/host_memory.h"

namespace fluxgen::server {

namespace {

// A1111's cmd-flags are its command line; fluxgen answers the flags `fluxgen serve` was started
// with, under A1111's names where it has them. Passwords are never shown.
json::Value cmd_flags(const ServerConfig& config) {
  json::Value auth = nullptr;
  if (!config.credentials.empty()) {
    std::string users;
    for (const Credential& c : config.credentials) users += (users.empty() ? "" : ",") + c.user + ":***";
    auth = users;
  }
  json::Value f = json::Value::object();
  f["api"] = true;
  f["nowebui"] = false;
  f["listen"] = config.host != "127.0.0.1";
  f["port"] = config.port;
  f["api_auth"] = auth;
  f["models_dir"] = config.models_dir;
  f["queue_size"] = config.queue_size;
  f["max_body_mb"] = static_cast<uint64_t>(config.max_body_bytes >> 20);
  return f;
}

}  // namespace

void add_system_routes(httplib::Server& http, ServerContext& ctx) {
  http.Get("/sdapi/v1/memory", json_route([](const httplib::Request&) { return memory_report(); }));
  http.Get("/sdapi/v1/cmd-flags", json_route([&ctx](const httplib::Request&) { return cmd_flags(ctx.config); }));
  http.Get("/internal/ping", json_route([](const httplib::Request&) { return json::Value::object(); }));  // Forge: {}
  // Both run as jobs of the queue, so they never free or load models under a running generation.
  http.Post("/sdapi/v1/unload-checkpoint", json_route([&ctx](const httplib::Request&) {
              return ctx.generation.with_models([](ModelManager& models) {
                models.unload();
                trim_host_memory();  // the freed tensors' cached blocks go back to the system too
                return json::Value::object();
              });
            }));
  http.Post("/sdapi/v1/reload-checkpoint", json_route([&ctx](const httplib::Request&) {
              return ctx.generation.with_models([](ModelManager& models) {
                if (!models.reload())
                  throw ApiError(409, "NothingToReload",
                                 "no checkpoint has been loaded yet: the first txt2img / img2img loads one");
                return json::Value::object();
              });
            }));
}

}  // namespace fluxgen::server
