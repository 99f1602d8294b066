#include "pipeline/storage_comparison.h"

#include <chrono>
#include <cmath>
#include <map>
#include <random>

#include "backend/backend.h"
#include "imaging/image_metrics.h"
#include "lora/lora_effect_error.h"
#include "pipeline/generator.h"
#include "pipeline/model_discovery.h"
#include "pipeline/step_timing.h"
#include "util/error.h"
#include "util/peak_memory.h"
#include "util/strings.h"

namespace fluxgen {

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

bool is_reference(const StorageOption& o) { return !o.dtype.has_value(); }

Tensor rgb_tensor(const Image& image) { return image_to_tensor(to_rgb(image), PixelRange::ZeroOne); }

// One generation under the storage already loaded; the settings' LoRAs as given.
struct Generated {
  Image image;
  std::string infotext;
  double seconds = 0;
  double seconds_per_step = 0;
  bool interrupted = false;
};

Generated generate(Generator& generator, ProgressTracker& progress, GenerationSettings s) {
  // s/step as `generate` reports it (pipeline/step_timing.h): the mean interval between steps,
  // the pass's first step (its setup) counted apart.
  StepTiming timing;
  auto outer = progress.on_update;
  progress.on_update = [&](const ProgressSnapshot& snap) {
    timing.on_update(snap);
    if (outer) outer(snap);
  };
  const auto t0 = Clock::now();
  GenerationResult r;
  try {
    r = generator.run(std::move(s));
  } catch (...) {
    progress.on_update = outer;
    throw;
  }
  progress.on_update = outer;
  Generated g;
  g.seconds = seconds_since(t0);
  g.seconds_per_step = timing.seconds_per_step();
  g.interrupted = r.interrupted || r.images.empty();
  if (!g.interrupted) {
    g.image = r.images[0].image;
    g.infotext = r.images[0].infotext;
  }
  return g;
}

}  // namespace

std::vector<StorageOption> default_comparison_options() {
  std::vector<StorageOption> out{parse_storage_option("Automatic")};
  for (const char* base : {"bnb-nf4", "float8-e4m3fn", "bnb-fp4", "float8-e5m2"}) {
    out.push_back(parse_storage_option(base));
    out.push_back(parse_storage_option(std::string(base) + " (fp16 LoRA)"));
  }
  return out;
}

std::vector<StorageOption> parse_comparison_options(const std::string& list) {
  std::vector<StorageOption> out{parse_storage_option("Automatic")};
  for (const std::string& item : split(list, ',')) {
    if (trim(item).empty()) fail("--storage: an empty entry in \"", list, "\" (separate options with commas)");
    StorageOption o;
    try {
      o = parse_storage_option(item);
    } catch (const Error& e) {
      fail("--storage: ", e.what());
    }
    // The reference runs anyway; "Automatic (fp16 LoRA)" is the same image as "Automatic" at the
    // file's own precision, so it adds nothing to compare.
    if (is_reference(o)) continue;
    for (const auto& seen : out)
      if (seen.label == o.label) fail("--storage: \"", trim(item), "\" is listed twice");
    out.push_back(o);
  }
  return out;
}

void check_comparison_settings(const GenerationSettings& s) {
  if (s.prompt.find("<lora:") != std::string::npos)
    throw FieldError("prompt", "give LoRAs as --lora NAME:WEIGHT (the \"loras\" field), not as <lora:> tags, so the "
                               "comparison can also run without them for the LoRA effect error");
  if (s.batch_size != 1 || s.n_iter != 1)
    throw FieldError(s.batch_size != 1 ? "batch_size" : "n_iter", "compare runs one image per option (1)");
  if (s.hires.enabled) throw FieldError("enable_hr", "compare runs txt2img without HiRes.fix");
  if (!s.init_image.empty()) throw FieldError("init_images", "compare runs txt2img, not img2img");
}

StorageComparison run_storage_comparison(ModelManager& models, HashCache& hashes, ProgressTracker& progress,
                                         const GenerationSettings& settings,
                                         const std::vector<StorageOption>& options,
                                         const std::function<void(const StorageComparison&)>& on_finished) {
  check(!options.empty() && is_reference(options.front()),
        "internal: a storage comparison starts with the reference (Automatic)");
  StorageComparison out;
  out.settings = settings;
  out.device = models.options().placement.describe();
  // One seed for every option (a random one is drawn once).
  if (out.settings.seed < 0) out.settings.seed = static_cast<int64_t>(std::random_device{}() & 0x7fffffffu);
  const bool with_lora = !out.settings.loras.empty();
  GenerationSettings without = out.settings;
  without.loras.clear();

  Generator generator(models, hashes, progress);
  const ModelFiles files = discover_models({settings.model, settings.vae, settings.clip, settings.t5,
                                            models.options().models_dir});
  // The VAE and the text encoders are loaded once before measuring, so every option's peak holds
  // the same baseline and only its own transformer and activations differ.
  models.load(files, options.front());
  models.text();
  models.release_transformer();

  std::map<std::string, Image> without_lora_by_dtype;  // merged and online agree without a LoRA
  Image ref_with, ref_without;
  Tensor ref_rgb;
  for (const StorageOption& option : options) {
    StorageMeasurement m;
    m.label = option.label;
    m.reference = is_reference(option);
    // An interrupt (Ctrl-C, the server's /interrupt) outside a generation stops before the next
    // step: Generator::run clears the request when it starts, so it is checked before each one.
    if (progress.interrupted()) {
      out.interrupted = true;
      break;
    }
    models.release_transformer();
    const bool on_device = models.device() != Device::CPU;
    if (on_device) backend_for(models.device()).reset_memory_peak();
    const bool peak_is_own = reset_peak_rss();
    if (!peak_is_own && out.runs.empty()) out.notes.push_back("peak memory is the process's (no /proc/self/clear_refs)");
    const auto t0 = Clock::now();
    models.load(files, option);
    m.load_seconds = seconds_since(t0);
    for (const auto& [dtype, usage] : models.flux().weight_usage()) m.weight_bytes += usage.bytes;

    if (progress.interrupted()) {
      out.interrupted = true;
      break;
    }
    GenerationSettings s = out.settings;
    s.storage = option.label;
    const Generated g = generate(generator, progress, s);
    if (g.interrupted) {
      out.interrupted = true;
      break;
    }
    m.peak_host_bytes = peak_rss_bytes();
    if (on_device) m.peak_device_bytes = backend_for(models.device()).memory().peak_in_use;
    m.seconds_per_step = g.seconds_per_step;
    m.total_seconds = m.load_seconds + g.seconds;
    m.image = g.image;
    m.infotext = g.infotext;

    if (with_lora) {
      const std::string key = option.dtype ? std::string(dtype_name(*option.dtype)) : "auto";
      if (!without_lora_by_dtype.count(key)) {
        without.storage = option.label;
        if (progress.interrupted()) {
          out.interrupted = true;
          break;
        }
        const Generated plain = generate(generator, progress, without);
        if (plain.interrupted) {
          out.interrupted = true;
          break;
        }
        without_lora_by_dtype[key] = plain.image;
      }
      if (m.reference) {
        ref_with = m.image;
        ref_without = without_lora_by_dtype[key];
      }
      m.lora_effect_error = lora::lora_effect_error(rgb_tensor(m.image), rgb_tensor(without_lora_by_dtype[key]),
                                                    rgb_tensor(ref_with), rgb_tensor(ref_without));
      if (m.reference && !m.lora_effect_error)
        out.notes.push_back("the LoRA does not change the reference image: no LoRA effect error to report");
    }
    const Tensor rgb = rgb_tensor(m.image);
    if (m.reference) ref_rgb = rgb;
    m.psnr = psnr_luma(rgb, ref_rgb);
    m.ssim = ssim_luma(rgb, ref_rgb);
    out.runs.push_back(std::move(m));
    if (on_finished) on_finished(out);
  }
  return out;
}

}  // namespace fluxgen
