#include <string>

#include "server/routes.h"
#include "server/ui_assets.h"

namespace fluxgen::server {

namespace {

// httplib's paths are regular expressions: "/ui/app.js" must not also match "/ui/appXjs".
std::string exact_pattern(std::string_view url) {
  std::string out;
  for (char c : url) {
    if (std::string_view(".[]{}()*+?^$|\\").find(c) != std::string_view::npos) out += '\\';
    out += c;
  }
  return out;
}

}  // namespace

void add_ui_routes(httplib::Server& http, ServerContext&) {
  for (const UiAsset& asset : ui_assets()) {
    http.Get(exact_pattern(asset.url), [&asset](const httplib::Request&, httplib::Response& res) {
      // The page is part of the binary: a browser must ask again after an upgrade, never run an
      // old script against a new API.
      res.set_header("Cache-Control", "no-cache");
      res.set_header("X-Content-Type-Options", "nosniff");
      res.set_content(asset.body.data(), asset.body.size(), std::string(asset.content_type));
    });
  }
}

}  // namespace fluxgen::server
