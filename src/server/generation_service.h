// Runs the generation requests of the API: validates each request on the caller's (HTTP) thread,
// queues it for the single worker, waits for the outcome and shapes the answer. Owns what jobs
// share: the models kept loaded between jobs (reloaded only when a job names other files or another
// storage dtype), the file-hash cache, the progress of the running job and its live preview.
#pragma once
#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <string>

#include "io/json.h"
#include "pipeline/file_hashes.h"
#include "pipeline/model_manager.h"
#include "pipeline/progress.h"
#include "server/api_options.h"
#include "server/comparison_folders.h"
#include "server/generation_response.h"
#include "server/job_queue.h"
#include "server/live_preview.h"
#include "server/model_catalog.h"
#include "server/request_validation.h"
#include "server/server_config.h"

namespace fluxgen::server {

namespace redis {
class RemoteQueue;
}

class GenerationService {
 public:
  GenerationService(const ServerConfig& config, ModelCatalog& catalog, ApiOptions& options);
  ~GenerationService();

  // POST /sdapi/v1/txt2img and img2img. Throws ApiError: 422 / 404 for the request, 429 when the
  // queue is full, 500 when the job fails, 503 while shutting down (or when the Redis job queue
  // is unreachable). With a Redis queue (config.queue) the job runs on a `fluxgen worker`, and
  // "async": true answers {"id", "state", "url"} at once instead of waiting.
  json::Value generate(const json::Value& body, GenerationMode mode);
  // GET /fluxgen/v1/jobs/ID (Redis queue only; 404 otherwise).
  json::Value job(const std::string& id);
  // Runs `work` on the worker thread, after the jobs ahead of it and never beside one (the models
  // are the worker's alone), and returns its answer. Throws as generate does (429, 503, 500).
  json::Value with_models(const std::function<json::Value(ModelManager&)>& work);
  // POST /fluxgen/v1/compare: one queued job generating the request's image under each storage
  // option (progress and interrupt as for txt2img), its report written into a new folder of
  // comparisons(). Returns report.json's figures with "id", "report_dir" and "report_url". An
  // interrupted comparison answers 200 with what finished ("interrupted": true).
  json::Value compare(const json::Value& body);
  const ComparisonFolders& comparisons() const { return comparisons_; }
  // GET /sdapi/v1/progress.
  json::Value progress(bool skip_current_image);
  void interrupt();
  void skip();
  // GET /fluxgen/v1/queue: {"running": bool, "waiting": n, "capacity": --queue-size}.
  json::Value queue_status() const;
  // Interrupts the running job, refuses the waiting ones and stops the worker.
  void shutdown();

  // The A1111 title ("name.safetensors [hash]", or the file name while it is unhashed) of the
  // checkpoint jobs use when a request names none.
  std::string checkpoint_title();
  std::string title_of(const CatalogEntry& entry);
  HashCache& hashes() { return hashes_; }

 private:
  JobReport run_job(GenerationRequest request);  // on the worker thread
  // Queues `work` and waits for it; its errors become ApiErrors. `what` names it in messages.
  template <typename T>
  T run_queued(std::function<T()> work, const char* what);

  ModelCatalog& catalog_;
  ApiOptions& options_;
  ModelManager models_;
  HashCache hashes_;
  ProgressTracker progress_;
  LivePreview preview_;
  std::atomic<bool> skipped_{false};
  std::atomic<bool> stopping_{false};
  std::mutex mu_;
  std::string job_timestamp_;
  std::string loaded_checkpoint_;  // the transformer file of the last job
  ComparisonFolders comparisons_;
  // The Redis job queue when config.queue is set (shared_ptr: the type is complete only in builds
  // with hiredis).
  std::shared_ptr<redis::RemoteQueue> remote_;
  JobQueue queue_;  // last: destroyed (worker joined) before what jobs use
};

}  // namespace fluxgen::server
