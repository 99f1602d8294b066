#include "server/generation_service.h"

#include "backend/backend.h"

#include <ctime>
#include <future>
#include <memory>

#include "pipeline/generator.h"
#include "pipeline/comparison_report.h"
#include "pipeline/model_discovery.h"
#include "pipeline/storage_comparison.h"
#include "server/api_error.h"
#include "server/compare_request.h"
#include "util/error.h"
#ifdef FLUXGEN_WITH_HIREDIS
#include "server/redis/remote_queue.h"
#endif

namespace fluxgen::server {

namespace {

// A1111's job_timestamp: local time as "%Y%m%d%H%M%S".
std::string job_timestamp_now() {
  const std::time_t t = std::time(nullptr);
  std::tm tm{};
  localtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y%m%d%H%M%S", &tm);
  return buf;
}

// A1111's show_progress_every_n_steps as ProgressTracker's preview_every: 0 = none, -1 = only the
// last step of each pass (which the tracker always keeps).
int preview_interval(const OptionValues& o) {
  if (!o.live_previews || o.preview_every == 0) return 0;
  return o.preview_every < 0 ? (1 << 30) : o.preview_every;
}

}  // namespace

GenerationService::GenerationService(const ServerConfig& config, ModelCatalog& catalog, ApiOptions& options)
    : catalog_(catalog),
      options_(options),
      models_(ModelManager::Options{config.models_dir, /*keep_text_encoders=*/true, /*loras_by_name_only=*/true,
                                   config.placement}),
      preview_(config.models_dir),
      comparisons_(config.output_dir),
      queue_(config.queue_size) {
  progress_.on_update = [this](const ProgressSnapshot& s) { preview_.update(s, models_); };
  if (config.queue) {
#ifdef FLUXGEN_WITH_HIREDIS
    redis::RemoteQueueConfig q;
    q.url = *config.queue;
    q.name = config.queue_name;
    q.capacity = config.queue_size;
    q.result_ttl_s = config.result_ttl_s;
    remote_ = std::make_shared<redis::RemoteQueue>(std::move(q));
#else
    fail("--queue: this fluxgen was built without hiredis: install libhiredis-dev and rebuild for the Redis job queue");
#endif
  }
}

GenerationService::~GenerationService() { shutdown(); }

void GenerationService::shutdown() {
  stopping_ = true;
#ifdef FLUXGEN_WITH_HIREDIS
  if (remote_) remote_->stop();
#endif
  progress_.interrupt();
  queue_.stop();
}

template <typename T>
T GenerationService::run_queued(std::function<T()> work, const char* what) {
  if (stopping_) throw ApiError(503, "ServiceUnavailable", "the server is shutting down");
  auto task = std::make_shared<std::packaged_task<T()>>(std::move(work));
  std::future<T> done = task->get_future();
  if (!queue_.try_push([task] { (*task)(); })) {
    if (stopping_) throw ApiError(503, "ServiceUnavailable", "the server is shutting down");
    throw ApiError(429, "QueueFull",
                   "the queue is full: " + std::to_string(queue_.capacity()) +
                       " requests are waiting behind the running one (--queue-size); retry later");
  }
  try {
    return done.get();
  } catch (const ApiError&) {
    throw;
  } catch (const FieldError& e) {
    throw validation_error(e.field(), e.reason());
  } catch (const std::future_error&) {
    throw ApiError(503, "ServiceUnavailable", "the server shut down before the job ran");
  } catch (const DeviceOutOfMemory& e) {
    throw ApiError(500, "OutOfMemory",
                   std::string("GPU out of memory: ") + e.what() + "; the job's memory was released and the server "
                   "keeps serving (a smaller size or batch, a lower --vram-budget use, or bnb-nf4 storage needs less)");
  } catch (const std::bad_alloc&) {
    throw ApiError(500, "OutOfMemory",
                   std::string("out of memory while ") + what +
                       "; the server keeps serving (a smaller size or batch, or a low-bit "
                       "forge_unet_storage_dtype, needs less)");
  } catch (const std::exception& e) {
    throw ApiError(500, "GenerationError", e.what());
  }
}

json::Value GenerationService::generate(const json::Value& body_in, GenerationMode mode) {
  if (stopping_) throw ApiError(503, "ServiceUnavailable", "the server is shutting down");
  // "async" is the queue's, not the job's: taken off (from a copy: Values share their objects).
  json::Value body = body_in;
  bool async = false;
  if (const json::Value* a = body_in.find("async")) {
    if (!a->is_bool()) throw validation_error("async", "must be true or false");
    async = a->as_bool();
    if (async && !remote_)
      throw validation_error("async", "needs a job queue to hold the job: fluxgen serve --queue redis://HOST:PORT");
    body = json::parse(body_in.dump());
    json::Object& fields = body.as_object();
    std::erase_if(fields, [](const auto& kv) { return kv.first == "async"; });
  }
  GenerationRequest request = request_from_body(body, mode, options_.values(), catalog_);
#ifdef FLUXGEN_WITH_HIREDIS
  if (remote_) {
    // Validated here exactly as without a queue (422 / 404 at once); a worker runs it.
    const std::string id = remote_->submit(body, mode, options_.patch(), request.settings.model);
    if (!async) return remote_->wait(id);
    json::Value out = json::Value::object();
    out["id"] = id;
    out["state"] = "queued";
    out["url"] = "/fluxgen/v1/jobs/" + id;
    return out;
  }
#endif
  const JobReport report = run_queued<JobReport>(
      [this, r = std::move(request)]() mutable { return run_job(std::move(r)); }, "generating");
  return generation_response(body, mode, report);
}

json::Value GenerationService::with_models(const std::function<json::Value(ModelManager&)>& work) {
  return run_queued<json::Value>([this, work] { return work(models_); }, "answering");
}

json::Value GenerationService::compare(const json::Value& body) {
  if (stopping_) throw ApiError(503, "ServiceUnavailable", "the server is shutting down");
  CompareRequest request = compare_request_from(body, options_.values(), catalog_);
  return run_queued<json::Value>(
      [this, r = std::move(request)] {
        skipped_ = false;
        preview_.reset(options_.values().preview_type);
        const std::string id = comparisons_.create();
        const std::string dir = *comparisons_.path_of(id);
        {
          std::lock_guard<std::mutex> lock(mu_);
          job_timestamp_ = job_timestamp_now();
        }
        StorageComparison c;
        try {
          c = run_storage_comparison(models_, hashes_, progress_, r.settings, r.options,
                                     [&](const StorageComparison& so_far) { write_comparison_report(so_far, dir); });
        } catch (...) {
          progress_.end();
          if (models_.device() != Device::CPU) backend_for(models_.device()).release_cached();
          throw;
        }
        write_comparison_report(c, dir);
        json::Value out = json::parse(comparison_json(c));
        out["id"] = id;
        out["report_dir"] = dir;
        out["report_url"] = "/fluxgen/v1/compare/" + id + "/report.html";
        return out;
      },
      "comparing storage options");
}

JobReport GenerationService::run_job(GenerationRequest request) {
  const OptionValues o = options_.values();
  skipped_ = false;
  preview_.reset(o.preview_type);
  progress_.preview_every = preview_interval(o);
  JobReport report;
  report.job_timestamp = job_timestamp_now();
  {
    std::lock_guard<std::mutex> lock(mu_);
    job_timestamp_ = report.job_timestamp;
  }
  Generator generator(models_, hashes_, progress_);
  try {
    report.result = generator.run(std::move(request));
  } catch (...) {
    progress_.end();  // /progress must not report a failed job as running
    // What the failed job allocated is freed by now; its cached blocks go back to the driver too.
    if (models_.device() != Device::CPU) backend_for(models_.device()).release_cached();
    throw;
  }
  const ModelFiles& files = models_.files();
  report.model_name = files.model_name;
  report.model_hash = hashes_.short_hash(files.transformer, 10);
  std::lock_guard<std::mutex> lock(mu_);
  loaded_checkpoint_ = files.transformer;
  return report;
}

json::Value GenerationService::job([[maybe_unused]] const std::string& id) {
#ifdef FLUXGEN_WITH_HIREDIS
  if (remote_) return remote_->job(id);
#endif
  throw ApiError(404, "HTTPException", "no job " + id + ": job records exist with a job queue (fluxgen serve --queue)");
}

json::Value GenerationService::progress(bool skip_current_image) {
#ifdef FLUXGEN_WITH_HIREDIS
  if (remote_) {
    json::Value remote = remote_->progress(skip_current_image);
    if (!remote.is_null()) return remote;
    // No job runs anywhere: the idle answer below.
  }
#endif
  const ProgressSnapshot s = progress_.snapshot();
  json::Value state = json::Value::object();
  state["skipped"] = s.active && skipped_.load();
  state["interrupted"] = progress_.interrupted();
  state["stopping_generation"] = false;
  state["job"] = s.active ? s.job : std::string();
  state["job_count"] = s.active ? s.job_count : 0;
  {
    std::lock_guard<std::mutex> lock(mu_);
    state["job_timestamp"] = job_timestamp_;
  }
  state["job_no"] = s.active ? s.job_no : 0;
  state["sampling_step"] = s.active ? s.sampling_step : 0;
  state["sampling_steps"] = s.active ? s.sampling_steps : 0;

  json::Value image = nullptr;
  if (s.active && !skip_current_image) {
    preview_.request();
    std::string png = preview_.current_png();
    if (!png.empty()) image = std::move(png);
  }
  json::Value out = json::Value::object();
  // As A1111: an idle server reports 0 and no image.
  out["progress"] = s.active ? s.progress : 0.0;
  out["eta_relative"] = s.active ? s.eta_relative : 0.0;
  out["state"] = state;
  out["current_image"] = image;
  out["textinfo"] = nullptr;
  out["current_task"] = nullptr;
  return out;
}

void GenerationService::interrupt() {
#ifdef FLUXGEN_WITH_HIREDIS
  if (remote_) remote_->interrupt();
#endif
  progress_.interrupt();
}

json::Value GenerationService::queue_status() const {
#ifdef FLUXGEN_WITH_HIREDIS
  if (remote_) return remote_->status();
#endif
  json::Value q = json::Value::object();
  q["running"] = queue_.running();
  q["waiting"] = queue_.waiting();
  q["capacity"] = queue_.capacity();
  return q;
}

void GenerationService::skip() {
#ifdef FLUXGEN_WITH_HIREDIS
  if (remote_) remote_->skip();
#endif
  skipped_ = true;
  progress_.skip();
}

std::string GenerationService::title_of(const CatalogEntry& entry) {
  const auto sha = hashes_.cached_sha256(entry.path);
  return sha ? entry.filename + " [" + sha->substr(0, 10) + "]" : entry.filename;
}

std::string GenerationService::checkpoint_title() {
  std::string path = options_.values().checkpoint_path;
  if (path.empty()) {
    std::lock_guard<std::mutex> lock(mu_);
    path = loaded_checkpoint_;
  }
  if (path.empty()) {
    // Before the first job: the file discovery would choose (nothing when it cannot choose).
    try {
      path = discover_models(ModelRequest{"", "", "", "", catalog_.models_dir()}).transformer;
    } catch (const Error&) {
      return "";
    }
  }
  for (const CatalogEntry& e : catalog_.list(ModelFolder::Checkpoints))
    if (e.path == path) return title_of(e);
  return path;
}

}  // namespace fluxgen::server
