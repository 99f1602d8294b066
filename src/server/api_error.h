// Errors the API answers with, in the shapes A1111/Forge clients already parse:
//  - 422: FastAPI's request validation body {"detail": [{"loc": ["body", field...], "msg": reason,
//    "type": "value_error"}]}, one entry naming the field at fault;
//  - everything else (401, 404, 413, 429, 500, 503): A1111's api_middleware body {"error": kind,
//    "detail": message, "body": "", "errors": "<status>: <message>"}, plus "field" when one field
//    is at fault (a model name that is not installed).
#pragma once
#include <stdexcept>
#include <string>

#include "io/json.h"

namespace fluxgen::server {

class ApiError : public std::runtime_error {
 public:
  // `field` is a request field in dotted form ("override_settings.sd_model_checkpoint"), or "".
  ApiError(int status, std::string kind, const std::string& detail, std::string field = "")
      : std::runtime_error(detail), status_(status), kind_(std::move(kind)), field_(std::move(field)) {}

  int status() const { return status_; }
  const std::string& kind() const { return kind_; }
  const std::string& field() const { return field_; }
  json::Value body() const;

 private:
  int status_;
  std::string kind_;
  std::string field_;
};

// A 422 naming `field` (dotted; "body" for the request as a whole).
ApiError validation_error(const std::string& field, const std::string& reason);
// A 404 for a model file that is not installed.
ApiError not_found(const std::string& field, const std::string& detail);

// FastAPI's validation body for one field.
json::Value validation_error_body(const std::string& field, const std::string& reason);
// A1111's error body.
json::Value error_body(int status, const std::string& kind, const std::string& detail, const std::string& field = "");

}  // namespace fluxgen::server
