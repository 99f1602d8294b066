// JSON over cpp-httplib: answers, error answers and request bodies, and the wrapper every route
// goes through so that no request (malformed, hostile, or one whose job fails) can take the
// server down or leave a client without an answer.
#pragma once
#include <httplib.h>

#include <functional>

#include "io/json.h"
#include "server/api_error.h"

namespace fluxgen::server {

void send_json(httplib::Response& res, int status, const json::Value& body);
void send_error(httplib::Response& res, const ApiError& error);

// The request body as JSON; a 422 naming "body" when it is empty or malformed.
json::Value parse_json_body(const httplib::Request& req);

// A route that computes a JSON answer (200). Every exception becomes its error answer: ApiError as
// it says, FieldError 422, out of memory and anything else 500. Sets A1111's X-Process-Time.
using JsonHandler = std::function<json::Value(const httplib::Request&)>;
httplib::Server::Handler json_route(JsonHandler handler);

}  // namespace fluxgen::server
