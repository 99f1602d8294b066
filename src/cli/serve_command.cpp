// `fluxgen serve`: the command line of the A1111/Forge-compatible HTTP server (src/server, built
// only with cpp-httplib; without it the command is still listed and says why it cannot serve).
#include <filesystem>

#include "cli/commands.h"
#include "cli/device_cli_options.h"
#include "queue/queue_name.h"
#include "queue/redis_url.h"
#include "util/error.h"
#ifdef FLUXGEN_WITH_HTTPLIB
#include "server/http_server.h"
#endif

namespace fluxgen::cli {

void register_serve_command(CLI::App& app) {
  struct Flags {
    bool listen = false;
    int port = 7860;
    std::string api_auth;
    std::string models_dir = "models";
    size_t queue_size = 16;
    size_t max_body_mb = 64;
    std::string output_dir = "outputs";
    std::string queue;
    std::string queue_name = "fluxgen";
    int result_ttl = 3600;
    DeviceCliOptions device;
  };
  auto f = std::make_shared<Flags>();
  CLI::App* cmd = app.add_subcommand("serve", "Serve the A1111/Forge HTTP API (/sdapi/v1/txt2img, img2img, options, "
                                              "progress ...) for existing clients");
  cmd->add_flag("--listen", f->listen, "Listen on all network interfaces (default: 127.0.0.1 only)");
  cmd->add_option("--port", f->port, "TCP port (default 7860; 0 = any free port, printed at start)")
      ->check(CLI::Range(0, 65535));
  cmd->add_option("--api-auth", f->api_auth, "HTTP basic auth USER:PASSWORD[,USER2:PASSWORD2] (A1111's --api-auth)");
  cmd->add_option("--models-dir", f->models_dir, "Forge's or ComfyUI's models folder (default ./models)");
  cmd->add_option("--queue-size", f->queue_size, "Requests that may wait behind the running job; more get 429 "
                                                  "(default 16)")
      ->check(CLI::Range(0, 1000));
  cmd->add_option("--max-body-mb", f->max_body_mb, "Largest request body in MiB; larger get 413 (default 64)")
      ->check(CLI::Range(1, 4096));
  cmd->add_option("--output-dir", f->output_dir, "Folder for what the server writes: POST /fluxgen/v1/compare's "
                                                  "reports go to DIR/compare/<time> (default ./outputs)");
  cmd->add_option("--queue", f->queue, "Hand generation jobs to a Redis job queue run by `fluxgen worker`s: "
                                       "redis://[:PASSWORD@]HOST[:PORT][/DB] (default: the in-process queue; "
                                       "docs/scale-out.md)");
  cmd->add_option("--queue-name", f->queue_name, "The Redis queue's key prefix; front ends and workers of one queue "
                                                  "use the same (default fluxgen)");
  cmd->add_option("--result-ttl", f->result_ttl, "Seconds a queued job's result stays readable (default 3600)")
      ->check(CLI::Range(1, 30 * 24 * 3600));
  add_device_options(cmd, f->device);
  cmd->callback([f] {
#ifndef FLUXGEN_WITH_HTTPLIB
    fail("this fluxgen was built without the HTTP server (cpp-httplib was not found): install libcpp-httplib-dev "
         "and rebuild to use `fluxgen serve`");
#else
    std::error_code ec;
    check(std::filesystem::is_directory(f->models_dir, ec), "--models-dir ", f->models_dir,
          ": no such folder (give Forge's or ComfyUI's models folder)");
    server::ServerConfig config;
    config.host = f->listen ? "0.0.0.0" : "127.0.0.1";
    config.port = f->port;
    if (!f->api_auth.empty()) config.credentials = server::parse_api_auth(f->api_auth);
    config.models_dir = std::filesystem::absolute(f->models_dir, ec).string();
    config.output_dir = std::filesystem::absolute(f->output_dir, ec).string();
    config.queue_size = f->queue_size;
    config.max_body_bytes = f->max_body_mb << 20;
    if (!f->queue.empty()) {
#ifndef FLUXGEN_WITH_HIREDIS
      fail("--queue: this fluxgen was built without the Redis job queue (hiredis was not found): install "
           "libhiredis-dev and rebuild");
#endif
      config.queue = queue::parse_redis_url(f->queue, "--queue");
      check(valid_queue_name(f->queue_name), "--queue-name ", f->queue_name,
            ": use letters, digits, '-', '_', '.' or ':' (1 to 64 of them)");
    }
    config.queue_name = f->queue_name;
    config.result_ttl_s = f->result_ttl;
    config.placement = f->device.resolve();
    server::run_server(config);
#endif
  });
}

}  // namespace fluxgen::cli
