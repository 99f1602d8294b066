#include <filesystem>

#include "io/safetensors.h"
#include "pipeline/image_upscale.h"
#include "sampling/samplers.h"
#include "sampling/schedules.h"
#include "server/http_json.h"
#include "server/routes.h"
#include "util/error.h"
#include "util/strings.h"

namespace fluxgen::server {

namespace {

// A1111's SDModelItem: title "file [sha256[:10]]" once the file has been hashed (A1111 too shows
// hashes only from its cache, as hashing a 24 GB file on a listing would take a minute).
json::Value sd_models(ServerContext& ctx) {
  json::Value out = json::Value::array();
  for (const CatalogEntry& e : ctx.catalog.list(ModelFolder::Checkpoints)) {
    const auto sha = ctx.generation.hashes().cached_sha256(e.path);
    json::Value m = json::Value::object();
    m["title"] = ctx.generation.title_of(e);
    m["model_name"] = e.name;
    m["hash"] = sha ? json::Value(sha->substr(0, 10)) : json::Value();
    m["sha256"] = sha ? json::Value(*sha) : json::Value();
    m["filename"] = e.path;
    m["config"] = nullptr;
    out.push_back(m);
  }
  return out;
}

// Forge's sd-modules (VAE and text encoder files for forge_additional_modules) and A1111's sd-vae.
json::Value modules(ServerContext& ctx, std::initializer_list<ModelFolder> kinds) {
  json::Value out = json::Value::array();
  for (ModelFolder kind : kinds)
    for (const CatalogEntry& e : ctx.catalog.list(kind)) {
      json::Value m = json::Value::object();
      m["model_name"] = e.filename;
      m["filename"] = e.path;
      out.push_back(m);
    }
  return out;
}

json::Value samplers() {
  json::Value out = json::Value::array();
  for (const std::string& name : sampling::sampler_names()) {
    json::Value aliases = json::Value::array();
    for (const std::string& a : sampling::sampler_aliases(sampling::parse_sampler(name))) aliases.push_back(a);
    json::Value s = json::Value::object();
    s["name"] = name;
    s["aliases"] = aliases;
    s["options"] = json::Value::object();
    out.push_back(s);
  }
  return out;
}

// Forge's SchedulerItem.
json::Value schedulers() {
  json::Value out = json::Value::array();
  for (const std::string& label : sampling::scheduler_names()) {
    json::Value s = json::Value::object();
    s["name"] = to_lower(label);
    s["label"] = label;
    s["aliases"] = nullptr;
    s["default_rho"] = -1;
    s["need_inner_model"] = false;
    out.push_back(s);
  }
  return out;
}

// A1111 lists the latent resize modes apart from the upscalers (latent-upscale-modes).
bool is_latent_mode(const std::string& name) { return name.rfind("Latent", 0) == 0; }

json::Value latent_upscale_modes() {
  json::Value out = json::Value::array();
  for (const std::string& name : builtin_upscaler_names())
    if (is_latent_mode(name)) {
      json::Value mode = json::Value::object();
      mode["name"] = name;
      out.push_back(mode);
    }
  return out;
}

// A1111's UpscalerItem. A1111 reports scale 4 for every ESRGAN file without loading it; so does
// fluxgen (the real factor is read when the file is used).
json::Value upscalers(ServerContext& ctx) {
  ctx.catalog.refresh(ModelFolder::Upscalers);
  json::Value out = json::Value::array();
  auto add = [&](const std::string& name, const json::Value& model_name, const json::Value& path) {
    json::Value u = json::Value::object();
    u["name"] = name;
    u["model_name"] = model_name;
    u["model_path"] = path;
    u["model_url"] = nullptr;
    u["scale"] = 4;
    out.push_back(u);
  };
  for (const std::string& name : builtin_upscaler_names())
    if (!is_latent_mode(name)) add(name, json::Value(), json::Value());
  for (const CatalogEntry& e : ctx.catalog.list(ModelFolder::Upscalers)) add(e.name, "ESRGAN", e.path);
  return out;
}

// The Lora extension's item: {"name", "alias", "path", "metadata"}; the alias is the training
// name (ss_output_name) when the file has one, as with A1111's default "Alias from file".
json::Value loras(ServerContext& ctx) {
  json::Value out = json::Value::array();
  for (const CatalogEntry& e : ctx.catalog.list(ModelFolder::Loras)) {
    json::Value metadata = json::Value::object();
    std::string alias = e.name;
    if (ends_with(to_lower(e.filename), ".safetensors")) {
      try {
        const auto file = SafetensorsFile::open(e.path);
        for (const auto& [k, v] : file->metadata()) metadata[k] = v;
        if (const auto it = file->metadata().find("ss_output_name"); it != file->metadata().end() && !it->second.empty())
          alias = it->second;
      } catch (const Error& err) {
        std::fprintf(stderr, "fluxgen serve: %s\n", err.what());  // listed all the same; loading names the problem
      }
    }
    json::Value l = json::Value::object();
    l["name"] = e.name;
    l["alias"] = alias;
    l["path"] = e.path;
    l["metadata"] = metadata;
    out.push_back(l);
  }
  return out;
}

// A1111's RealesrganItem for the upscaler files in a RealESRGAN folder (the others are ESRGAN's);
// scale 4 as in upscalers.
json::Value realesrgan_models(ServerContext& ctx) {
  ctx.catalog.refresh(ModelFolder::Upscalers);
  json::Value out = json::Value::array();
  for (const CatalogEntry& e : ctx.catalog.list(ModelFolder::Upscalers)) {
    if (std::filesystem::path(e.path).parent_path().filename() != "RealESRGAN") continue;
    json::Value m = json::Value::object();
    m["name"] = e.name;
    m["path"] = e.path;
    m["scale"] = 4;
    out.push_back(m);
  }
  return out;
}

// What FLUX has no use for, in A1111's shapes: textual-inversion embeddings, hypernetworks and
// face restorers are SD add-ons fluxgen does not load, and it keeps no styles file.
json::Value embeddings() {
  json::Value out = json::Value::object();
  out["loaded"] = json::Value::object();
  out["skipped"] = json::Value::object();
  return out;
}

}  // namespace

void add_catalog_routes(httplib::Server& http, ServerContext& ctx) {
  http.Get("/sdapi/v1/sd-models", json_route([&ctx](const httplib::Request&) { return sd_models(ctx); }));
  http.Get("/sdapi/v1/sd-modules", json_route([&ctx](const httplib::Request&) {
             return modules(ctx, {ModelFolder::Vae, ModelFolder::TextEncoders});
           }));
  http.Get("/sdapi/v1/sd-vae", json_route([&ctx](const httplib::Request&) { return modules(ctx, {ModelFolder::Vae}); }));
  http.Get("/sdapi/v1/samplers", json_route([](const httplib::Request&) { return samplers(); }));
  http.Get("/sdapi/v1/schedulers", json_route([](const httplib::Request&) { return schedulers(); }));
  http.Get("/sdapi/v1/upscalers", json_route([&ctx](const httplib::Request&) { return upscalers(ctx); }));
  http.Get("/sdapi/v1/latent-upscale-modes", json_route([](const httplib::Request&) { return latent_upscale_modes(); }));
  http.Get("/sdapi/v1/loras", json_route([&ctx](const httplib::Request&) { return loras(ctx); }));
  http.Get("/sdapi/v1/realesrgan-models", json_route([&ctx](const httplib::Request&) { return realesrgan_models(ctx); }));
  http.Get("/sdapi/v1/embeddings", json_route([](const httplib::Request&) { return embeddings(); }));
  for (const char* empty_list : {"/sdapi/v1/hypernetworks", "/sdapi/v1/face-restorers", "/sdapi/v1/prompt-styles"})
    http.Get(empty_list, json_route([](const httplib::Request&) { return json::Value::array(); }));
  http.Post("/sdapi/v1/refresh-checkpoints", json_route([&ctx](const httplib::Request&) {
              ctx.catalog.refresh(ModelFolder::Checkpoints);
              return json::Value();
            }));
  http.Post("/sdapi/v1/refresh-vae", json_route([&ctx](const httplib::Request&) {
              ctx.catalog.refresh(ModelFolder::Vae);
              ctx.catalog.refresh(ModelFolder::TextEncoders);
              return json::Value();
            }));
  http.Post("/sdapi/v1/refresh-loras", json_route([&ctx](const httplib::Request&) {
              ctx.catalog.refresh(ModelFolder::Loras);
              return json::Value();
            }));
}

}  // namespace fluxgen::server
