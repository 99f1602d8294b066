#include "server/compare_request.h"

#include "pipeline/storage_comparison.h"
#include "server/api_error.h"
#include "server/request_validation.h"
#include "util/error.h"

namespace fluxgen::server {

namespace {

std::vector<StorageOption> storage_options(const json::Value& body) {
  const json::Value* list = body.find("storage_options");
  if (!list || list->is_null()) return default_comparison_options();
  const char* expected = "must be a list of storage option names (\"bnb-nf4\", \"float8-e4m3fn (fp16 LoRA)\" ...)";
  if (!list->is_array() || list->size() == 0) throw validation_error("storage_options", expected);
  std::string joined;
  for (size_t i = 0; i < list->size(); ++i) {
    const json::Value& item = list->at(i);
    if (!item.is_string() || item.as_string().find(',') != std::string::npos)
      throw validation_error("storage_options." + std::to_string(i), expected);
    joined += (i ? "," : "") + item.as_string();
  }
  try {
    return parse_comparison_options(joined);
  } catch (const Error& e) {
    std::string reason = e.what();
    if (reason.rfind("--storage: ", 0) == 0) reason.erase(0, 11);  // the CLI's flag name
    throw validation_error("storage_options", reason);
  }
}

}  // namespace

CompareRequest compare_request_from(const json::Value& body, const OptionValues& options, ModelCatalog& catalog) {
  if (!body.is_object()) throw validation_error("body", "must be a JSON object");
  CompareRequest r;
  r.options = storage_options(body);
  r.settings = request_from_body(body, GenerationMode::Txt2Img, options, catalog).settings;
  try {
    check_comparison_settings(r.settings);
  } catch (const FieldError& e) {
    throw validation_error(e.field(), e.reason());
  }
  return r;
}

}  // namespace fluxgen::server
