// `fluxgen compare`: the same image under each weight-storage option, measured and compared with
// the file's own precision, into DIR/report.{html,md,json} and one PNG per option. The report is
// rewritten after every option, so an interrupt (Ctrl-C) keeps what is finished.
#include <atomic>
#include <csignal>
#include <cstdio>

#include "cli/commands.h"
#include "cli/device_cli_options.h"
#include "io/json.h"
#include "pipeline/comparison_report.h"
#include "pipeline/generator.h"
#include "util/error.h"
#include "util/strings.h"

namespace fluxgen::cli {

namespace {

struct CompareOptions {
  std::string models_dir, output, size;
  std::optional<std::string> model, prompt, preset, storage, sampler, scheduler;
  std::optional<int64_t> seed;
  std::optional<int> width, height, steps;
  std::vector<std::string> loras;
  DeviceCliOptions device;
};

// The first SIGINT asks the running generation to stop after its current step; a second one ends
// the process as usual. Only an atomic store happens in the handler.
std::atomic<ProgressTracker*> g_interruptible{nullptr};
extern "C" void on_interrupt(int) {
  if (ProgressTracker* p = g_interruptible.load()) p->interrupt();
  std::signal(SIGINT, SIG_DFL);
}

// "768x512" -> width, height.
std::pair<int, int> parse_size(const std::string& text) {
  int w = 0, h = 0, used = 0;
  if (std::sscanf(text.c_str(), "%dx%d%n", &w, &h, &used) != 2 || used != static_cast<int>(text.size()) || w <= 0 ||
      h <= 0)
    fail("--size \"", text, "\": expected WIDTHxHEIGHT, e.g. 1024x768");
  return {w, h};
}

json::Value to_patch(const CompareOptions& o) {
  json::Value p = json::Value::object();
  auto set = [&](const char* key, const auto& v) {
    if (v) p[key] = *v;
  };
  set("preset", o.preset);
  set("prompt", o.prompt);
  set("seed", o.seed);
  set("steps", o.steps);
  set("sampler_name", o.sampler);
  set("scheduler", o.scheduler);
  set("model", o.model);
  set("width", o.width);
  set("height", o.height);
  if (!o.size.empty()) {
    const auto [w, h] = parse_size(o.size);
    p["width"] = w;
    p["height"] = h;
  }
  if (!o.loras.empty()) {
    json::Value l = json::Value::array();
    for (const auto& s : o.loras) l.push_back(s);
    p["loras"] = l;
  }
  return p;
}

}  // namespace

void register_compare_command(CLI::App& app) {
  auto o = std::make_shared<CompareOptions>();
  CLI::App* cmd = app.add_subcommand(
      "compare", "Generate one image under each weight storage (the eight Forge options and the file's own dtype) "
                 "and report memory, time and the difference to the reference: DIR/report.html, .md, .json");
  cmd->add_option("--models-dir", o->models_dir, "Forge's or ComfyUI's models folder")->required();
  cmd->add_option("--model", o->model, "FLUX transformer or checkpoint (default: discovered in --models-dir)");
  cmd->add_option("--lora", o->loras, "LoRA NAME:WEIGHT or FILE:WEIGHT (repeatable); adds the LoRA effect error");
  cmd->add_option("--prompt", o->prompt, "The prompt (LoRAs through --lora, not <lora:> tags)");
  cmd->add_option("--seed", o->seed, "Seed (-1: one random seed for every option)");
  cmd->add_option("--size", o->size, "WIDTHxHEIGHT (default 1024x1024)");
  cmd->add_option("--width", o->width, "Width (multiple of 16)");
  cmd->add_option("--height", o->height, "Height (multiple of 16)");
  cmd->add_option("--steps", o->steps, "Sampling steps");
  cmd->add_option("--sampler", o->sampler, "Sampler (as for generate)");
  cmd->add_option("--scheduler", o->scheduler, "Scheduler (as for generate)");
  cmd->add_option("--preset", o->preset, "fast, quality or max (explicit flags win; its storage is ignored)");
  cmd->add_option("--storage", o->storage,
                  "Comma-separated options to compare (default: bnb-nf4, float8-e4m3fn, bnb-fp4, float8-e5m2, each "
                  "merged and \"(fp16 LoRA)\"); the reference (Automatic) always runs first");
  cmd->add_option("--output", o->output, "Folder for the PNGs and the reports")->required();
  add_device_options(cmd, o->device);
  cmd->callback([o] {
    GenerationSettings settings;
    try {
      settings = resolve_settings(to_patch(*o));
    } catch (const FieldError& e) {
      fail(e.what());
    }
    try {
      check_comparison_settings(settings);
    } catch (const FieldError& e) {
      fail(e.field() == "prompt" ? "--prompt: " : "", e.reason());
    }
    const auto options = o->storage ? parse_comparison_options(*o->storage) : default_comparison_options();
    for (const auto& n : settings.notes) std::fprintf(stderr, "note: %s\n", n.c_str());

    ModelManager models({o->models_dir, /*keep_text_encoders=*/true, /*loras_by_name_only=*/false, o->device.resolve()});
    // Every LoRA is found before anything runs or is written.
    for (auto& l : settings.loras) {
      try {
        l.path = models.resolve_lora(l.path);
      } catch (const Error& e) {
        fail("--lora: ", e.what());
      }
    }
    HashCache hashes;
    ProgressTracker progress;
    g_interruptible = &progress;
    auto previous = std::signal(SIGINT, on_interrupt);
    StorageComparison result;
    try {
      result = run_storage_comparison(models, hashes, progress, settings, options, [&](const StorageComparison& c) {
        write_comparison_report(c, o->output);
        const auto& m = c.runs.back();
        char effect[64] = "";
        if (m.lora_effect_error) std::snprintf(effect, sizeof effect, ", LoRA effect error %.1f %%", 100 * *m.lora_effect_error);
        std::fprintf(stderr, "[%zu/%zu] %-28s weights %s, %.3f s/step, %.1f s, PSNR %.2f dB, SSIM %.4f%s\n",
                     c.runs.size(), options.size(), m.label.c_str(), format_bytes(m.weight_bytes).c_str(),
                     m.seconds_per_step, m.total_seconds, m.psnr, m.ssim, effect);
      });
    } catch (const FieldError& e) {
      std::signal(SIGINT, previous);
      g_interruptible = nullptr;
      fail(e.what());
    }
    std::signal(SIGINT, previous);
    g_interruptible = nullptr;
    if (!result.runs.empty()) write_comparison_report(result, o->output);
    std::printf("%s/report.html\n", o->output.c_str());
    if (result.interrupted) fail("interrupted after ", result.runs.size(), " of ", options.size(), " options");
  });
}

}  // namespace fluxgen::cli
