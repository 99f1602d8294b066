// The browser UI's files (src/server/ui), compiled into the binary by cmake/embed_ui.cmake: what
// `fluxgen serve` answers at "/" (index.html) and "/ui/NAME" (its scripts and styles).
#pragma once
#include <string_view>
#include <vector>

namespace fluxgen::server {

struct UiAsset {
  std::string_view url;           // "/" or "/ui/app.js"
  std::string_view content_type;  // "text/javascript; charset=utf-8"
  std::string_view body;
};

const std::vector<UiAsset>& ui_assets();

}  // namespace fluxgen::server
