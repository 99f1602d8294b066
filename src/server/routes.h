// The API's routes, one file per area. Each add_* registers its paths on the server.
#pragma once
#include <httplib.h>

#include "server/api_options.h"
#include "server/generation_service.h"
#include "server/model_catalog.h"
#include "server/server_config.h"

namespace fluxgen::server {

struct ServerContext {
  const ServerConfig& config;
  ModelCatalog& catalog;
  ApiOptions& options;
  GenerationService& generation;
};

// POST /sdapi/v1/txt2img, /sdapi/v1/img2img.
void add_generation_routes(httplib::Server& http, ServerContext& ctx);
// GET/POST /sdapi/v1/options.
void add_option_routes(httplib::Server& http, ServerContext& ctx);
// GET sd-models, sd-modules, sd-vae, samplers, schedulers, upscalers, latent-upscale-modes, loras,
// realesrgan-models, embeddings, hypernetworks, face-restorers, prompt-styles;
// POST refresh-checkpoints, refresh-vae, refresh-loras.
void add_catalog_routes(httplib::Server& http, ServerContext& ctx);
// GET /sdapi/v1/progress, POST interrupt, skip.
void add_progress_routes(httplib::Server& http, ServerContext& ctx);
// GET /fluxgen/v1/presets, /fluxgen/v1/queue, /fluxgen/v1/jobs/{id}, /fluxgen/v1/detectors; POST /fluxgen/v1/compare and
// GET /fluxgen/v1/compare/{id|latest}/{report.html, report.json, report.md, NN-option.png}.
void add_fluxgen_routes(httplib::Server& http, ServerContext& ctx);
// GET /sdapi/v1/scripts, script-info; ADetailer's /adetailer/v1/ad_model and version.
void add_script_routes(httplib::Server& http, ServerContext& ctx);
// POST /sdapi/v1/png-info, interrogate (501: no captioning model).
void add_image_info_routes(httplib::Server& http, ServerContext& ctx);
// POST /sdapi/v1/extra-single-image, extra-batch-images.
void add_extras_routes(httplib::Server& http, ServerContext& ctx);
// GET /sdapi/v1/memory, cmd-flags, /internal/ping; POST unload-checkpoint, reload-checkpoint.
void add_system_routes(httplib::Server& http, ServerContext& ctx);
// GET / (the browser UI) and /ui/* (its scripts and styles).
void add_ui_routes(httplib::Server& http, ServerContext& ctx);

}  // namespace fluxgen::server
