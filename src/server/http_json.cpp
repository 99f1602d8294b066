#include "server/http_json.h"

#include <chrono>
#include <cstdio>

#include "pipeline/generation_settings.h"
#include "util/error.h"

namespace fluxgen::server {

void send_json(httplib::Response& res, int status, const json::Value& body) {
  res.status = status;
  res.set_content(body.dump(), "application/json");
}

void send_error(httplib::Response& res, const ApiError& error) {
  send_json(res, error.status(), error.body());
  if (error.status() == 401) res.set_header("WWW-Authenticate", "Basic");
  if (error.status() == 429) res.set_header("Retry-After", "1");
}

json::Value parse_json_body(const httplib::Request& req) {
  if (req.body.empty()) throw validation_error("body", "field required: the request needs a JSON body");
  try {
    return json::parse(req.body, "request body");
  } catch (const Error& e) {
    throw validation_error("body", e.what());
  }
}

httplib::Server::Handler json_route(JsonHandler handler) {
  return [handler = std::move(handler)](const httplib::Request& req, httplib::Response& res) {
    const auto start = std::chrono::steady_clock::now();
    try {
      send_json(res, 200, handler(req));
    } catch (const ApiError& e) {
      send_error(res, e);
    } catch (const FieldError& e) {
      send_error(res, validation_error(e.field(), e.reason()));
    } catch (const std::bad_alloc&) {
      send_error(res, ApiError(500, "OutOfMemory", "out of memory while answering " + req.path));
    } catch (const std::exception& e) {
      std::fprintf(stderr, "fluxgen serve: %s %s failed: %s\n", req.method.c_str(), req.path.c_str(), e.what());
      send_error(res, ApiError(500, "InternalError", e.what()));
    }
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.4f", seconds);
    res.set_header("X-Process-Time", buf);
  };
}

}  // namespace fluxgen::server
