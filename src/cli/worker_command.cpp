// `fluxgen worker`: a GPU's (or machine's) consumer of the Redis job queue that `fluxgen serve
// --queue` front ends fill (src/server/redis; built with cpp-httplib and hiredis, since it runs
// the server's own generation code; without them the command says what to install).
#include <filesystem>

#include "cli/commands.h"
#include "cli/device_cli_options.h"
#include "queue/queue_name.h"
#include "queue/redis_url.h"
#include "util/error.h"
#if defined(FLUXGEN_WITH_HTTPLIB) && defined(FLUXGEN_WITH_HIREDIS)
#include "server/redis/queue_worker.h"
#endif

namespace fluxgen::cli {

void register_worker_command(CLI::App& app) {
  struct Flags {
    std::string queue;
    std::string queue_name = "fluxgen";
    std::string models_dir = "models";
    std::string output_dir = "outputs";
    std::string name;
    double visibility_timeout = 60;
    int max_deliveries = 3;
    double prefer_loaded = 120;
    DeviceCliOptions device;
  };
  auto f = std::make_shared<Flags>();
  CLI::App* cmd = app.add_subcommand("worker", "Run the generation jobs of a Redis job queue that `fluxgen serve "
                                               "--queue` front ends fill (one worker per GPU or machine)");
  cmd->add_option("--queue", f->queue, "The Redis job queue: redis://[:PASSWORD@]HOST[:PORT][/DB]")->required();
  cmd->add_option("--queue-name", f->queue_name, "The queue's key prefix, as the front ends' (default fluxgen)");
  cmd->add_option("--models-dir", f->models_dir, "Forge's or ComfyUI's models folder (default ./models)");
  cmd->add_option("--output-dir", f->output_dir, "Folder for what jobs write (default ./outputs)");
  cmd->add_option("--name", f->name, "This worker's consumer name in the group (default HOST-PID; unique per worker)");
  cmd->add_option("--visibility-timeout", f->visibility_timeout,
                  "Seconds a job may go without its worker's heartbeat before another worker takes it over "
                  "(default 60)")
      ->check(CLI::Range(0.2, 86400.0));
  cmd->add_option("--max-deliveries", f->max_deliveries,
                  "Times a job is handed out before it goes to the dead-letter stream NAME:dead (default 3)")
      ->check(CLI::Range(1, 100));
  cmd->add_option("--prefer-loaded", f->prefer_loaded,
                  "Seconds a job for the loaded model may have been queued after an older job for another model "
                  "and still go first (saves a reload; 0: strictly oldest first; default 120)")
      ->check(CLI::Range(0.0, 86400.0));
  add_device_options(cmd, f->device);
  cmd->callback([f] {
#if !defined(FLUXGEN_WITH_HTTPLIB) || !defined(FLUXGEN_WITH_HIREDIS)
    fail("this fluxgen was built without the Redis job queue: `fluxgen worker` needs hiredis and cpp-httplib "
         "(apt-get install libhiredis-dev libcpp-httplib-dev) and a rebuild");
#else
    std::error_code ec;
    check(std::filesystem::is_directory(f->models_dir, ec), "--models-dir ", f->models_dir,
          ": no such folder (give Forge's or ComfyUI's models folder)");
    check(valid_queue_name(f->queue_name), "--queue-name ", f->queue_name,
          ": use letters, digits, '-', '_', '.' or ':' (1 to 64 of them)");
    server::redis::WorkerConfig config;
    config.url = queue::parse_redis_url(f->queue, "--queue");
    config.name = f->queue_name;
    config.consumer = f->name;
    config.server.models_dir = std::filesystem::absolute(f->models_dir, ec).string();
    config.server.output_dir = std::filesystem::absolute(f->output_dir, ec).string();
    config.server.placement = f->device.resolve();
    config.visibility_timeout = std::chrono::milliseconds(static_cast<long long>(f->visibility_timeout * 1000));
    config.max_deliveries = f->max_deliveries;
    config.prefer_loaded = std::chrono::milliseconds(static_cast<long long>(f->prefer_loaded * 1000));
    server::redis::run_worker(config);
#endif
  });
}

}  // namespace fluxgen::cli
