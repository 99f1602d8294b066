#include "server/api_error.h"

#include "util/strings.h"

namespace fluxgen::server {

json::Value ApiError::body() const {
  return status_ == 422 ? validation_error_body(field_.empty() ? "body" : field_, what())
                        : error_body(status_, kind_, what(), field_);
}

ApiError validation_error(const std::string& field, const std::string& reason) {
  return ApiError(422, "RequestValidationError", reason, field);
}

ApiError not_found(const std::string& field, const std::string& detail) {
  return ApiError(404, "HTTPException", detail, field);
}

json::Value validation_error_body(const std::string& field, const std::string& reason) {
  // FastAPI locates body fields as ["body", key, nested key...]; the whole body is ["body"].
  json::Value loc = json::Value::array();
  loc.push_back("body");
  if (field != "body")
    for (const std::string& part : split(field, '.')) loc.push_back(part);
  json::Value entry = json::Value::object();
  entry["loc"] = loc;
  entry["msg"] = reason;
  entry["type"] = "value_error";
  json::Value detail = json::Value::array();
  detail.push_back(entry);
  json::Value body = json::Value::object();
  body["detail"] = detail;
  return body;
}

json::Value error_body(int status, const std::string& kind, const std::string& detail, const std::string& field) {
  json::Value body = json::Value::object();
  body["error"] = kind;
  body["detail"] = detail;
  body["body"] = "";
  body["errors"] = std::to_string(status) + ": " + detail;
  if (!field.empty()) body["field"] = field;
  return body;
}

}  // namespace fluxgen::server
