#include "pipeline/adetailer/adetailer_args.h"
#include "server/http_json.h"
#include "server/routes.h"

namespace fluxgen::server {

namespace {

// The alwayson scripts fluxgen runs, by A1111's script name (the title lowercased). Clients detect
// extensions by these names (webuiapi: "adetailer" in scripts["txt2img"]), so only what fluxgen
// really runs is listed.
constexpr const char* kScriptNames[] = {"adetailer"};

// The units a script-info entry describes: ADetailer's default ad_max_models.
constexpr int kDescribedUnits = 2;

// A1111's ScriptsList.
json::Value scripts() {
  json::Value names = json::Value::array();
  for (const char* n : kScriptNames) names.push_back(n);
  json::Value out = json::Value::object();
  out["txt2img"] = names;
  out["img2img"] = names;
  return out;
}

json::Value script_arg(const std::string& label, const json::Value& value) {
  json::Value a = json::Value::object();
  a["label"] = label;
  a["value"] = value;
  a["minimum"] = nullptr;
  a["maximum"] = nullptr;
  a["step"] = nullptr;
  a["choices"] = nullptr;
  return a;
}

// A1111's ScriptInfo for ADetailer, its arguments as the extension's UI declares them: the
// enable switch, "Skip img2img", then one object of ad_* fields per unit (the tabs "1st", "2nd").
json::Value adetailer_info(bool is_img2img) {
  json::Value args = json::Value::array();
  args.push_back(script_arg("ADetailer", false));
  args.push_back(script_arg("Skip img2img", false));
  for (int n = 1; n <= kDescribedUnits; ++n) args.push_back(script_arg(adetailer::ordinal(n), nullptr));
  json::Value info = json::Value::object();
  info["name"] = "adetailer";
  info["is_alwayson"] = true;
  info["is_img2img"] = is_img2img;
  info["args"] = args;
  return info;
}

json::Value script_info() {
  json::Value out = json::Value::array();
  out.push_back(adetailer_info(false));
  out.push_back(adetailer_info(true));
  return out;
}

// ADetailer's /adetailer/v1/ad_model: {"ad_model": [names ad_model takes]}; the detector files of
// the ADetailer folders, scanned again on each call (ADetailer's own mediapipe models are not
// offered: fluxgen does not run them).
json::Value ad_models(ServerContext& ctx) {
  ctx.catalog.refresh(ModelFolder::Detectors);
  json::Value names = json::Value::array();
  for (const CatalogEntry& e : ctx.catalog.list(ModelFolder::Detectors)) names.push_back(e.filename);
  json::Value out = json::Value::object();
  out["ad_model"] = names;
  return out;
}

}  // namespace

void add_script_routes(httplib::Server& http, ServerContext& ctx) {
  http.Get("/sdapi/v1/scripts", json_route([](const httplib::Request&) { return scripts(); }));
  http.Get("/sdapi/v1/script-info", json_route([](const httplib::Request&) { return script_info(); }));
  http.Get("/adetailer/v1/ad_model", json_route([&ctx](const httplib::Request&) { return ad_models(ctx); }));
  http.Get("/adetailer/v1/version", json_route([](const httplib::Request&) {
             json::Value v = json::Value::object();
             v["version"] = adetailer::kADetailerVersion;  // the release the infotext names
             return v;
           }));
}

}  // namespace fluxgen::server
