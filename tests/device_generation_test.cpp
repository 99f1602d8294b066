// The GPU path checked on the stand-in device (fake_device_backend.h: memory the host cannot read,
// a capacity, peak accounting): `--device` resolution, the VRAM planner, weight streaming under a
// budget, whole generations (txt2img, img2img, HiRes.fix with ESRGAN, ADetailer, previews) with
// every model placed on the device (ESRGAN, YOLO and TAEF1 included) and the denoising steps
// replayed as device graphs, and out-of-memory faults
// that leave the next job working.
#include <gtest/gtest.h>

#include <filesystem>

#include "backend/ops.h"
#include "device_parity.h"
#include "fake_device_backend.h"
#include "io/image/image_io.h"
#include "io/safetensors.h"
#include "models/flux/flux_parameters.h"
#include "models/taesd/taesd.h"
#include "models/upscaler.h"
#include "models/yolo/yolo_detector.h"
#include "pipeline/generator.h"
#include "pipeline/latent_preview.h"
#include "pipeline/placement/device_choice.h"
#include "pipeline/placement/device_weight_store.h"
#include "pipeline/placement/vram_plan.h"
#include "pipeline/placement/weight_streamer.h"
#include "pipeline/preview.h"
#include "tensor/convert.h"
#include "test_support.h"
#include "tiny_models.h"
#include "util/error.h"

namespace fluxgen {
namespace {

constexpr uint64_t MiB = uint64_t(1) << 20;

using test::error_of;

TEST(DeviceChoice, CpuAndAutoWithoutAGpu) {
  register_backend(Device::CUDA, nullptr);
  EXPECT_EQ(resolve_device("cpu").device, Device::CPU);
  EXPECT_EQ(resolve_device("auto").device, Device::CPU);
  EXPECT_EQ(resolve_device("AUTO").device, Device::CPU);
  EXPECT_NE(error_of([] { resolve_device("cuda"); }).find("no usable CUDA GPU"), std::string::npos);
  EXPECT_NE(error_of([] { resolve_device("cuda:0"); }).find("--device cpu"), std::string::npos);
  for (const std::string bad : {"tpu", "cuda:", "cuda:x", "cuda:-1", "cuda0", "cuda:12345"})
    EXPECT_NE(error_of([&] { resolve_device(bad); }).find("is not a device"), std::string::npos) << bad;
  EXPECT_NE(error_of([] { resolve_device("cpu", -1); }).find("--vram-budget"), std::string::npos);
  EXPECT_NE(error_of([] { resolve_device("cpu", 1e9); }).find("--vram-budget"), std::string::npos);
}

class OnFakeDevice : public ::testing::Test {
 protected:
  void SetUp() override {
    fake.set_capacity(uint64_t(8) << 30);
    register_backend(Device::CUDA, &fake);
  }
  void TearDown() override { register_backend(Device::CUDA, nullptr); }
  test::FakeDeviceBackend fake;
};

TEST_F(OnFakeDevice, AutoPicksTheGpuAndTheBudgetDefaultsToFreeMemory) {
  const DevicePlacement p = resolve_device("auto");
  EXPECT_EQ(p.device, Device::CUDA);
  EXPECT_EQ(p.vram_budget, (uint64_t(8) << 30) - kVramMargin);
  EXPECT_EQ(fake.memory().limit, p.vram_budget);  // the allocator enforces it
  EXPECT_EQ(resolve_device("cuda:0", 1.5).vram_budget, uint64_t(3) << 29);
  EXPECT_NE(p.describe().find("cuda:0 (fake-device, VRAM budget"), std::string::npos) << p.describe();
  EXPECT_NE(error_of([] { resolve_device("cuda:1"); }).find("device index 1 is not available"), std::string::npos);
}

TEST(VramPlan, StreamsFromTheLastBlockUntilThePeakFits) {
  FluxWeightSizes s;
  s.outside_blocks = 10 * MiB;
  s.blocks = {100 * MiB, 100 * MiB, 50 * MiB, 50 * MiB};
  s.block_linear = {90 * MiB, 90 * MiB, 40 * MiB, 40 * MiB};
  // Everything fits: nothing streams.
  FluxPlacementPlan p = plan_flux_placement(s, 20 * MiB, 400 * MiB, 5 * MiB);
  EXPECT_TRUE(p.streamed.empty());
  EXPECT_EQ(p.peak_bytes, 335 * MiB);
  // 300 MiB: streaming block 3 gives 295 + 40 = 335 (too much: a streamed block needs room to be
  // copied in), blocks 2 and 3 give 255 + 80 = 335, ... until it fits.
  p = plan_flux_placement(s, 20 * MiB, 300 * MiB, 5 * MiB);
  ASSERT_FALSE(p.streamed.empty());
  EXPECT_LE(p.peak_bytes, 300 * MiB);
  EXPECT_EQ(p.streamed.back(), 3u);
  EXPECT_EQ(p.resident_bytes + p.streamed_bytes, s.total());
  EXPECT_NE(p.describe().find("streamed"), std::string::npos);
  // Too small even with every block streamed: a clear out-of-memory error naming the budget.
  try {
    plan_flux_placement(s, 20 * MiB, 150 * MiB, 5 * MiB);
    FAIL() << "expected an error";
  } catch (const DeviceOutOfMemory& e) {
    EXPECT_NE(std::string(e.what()).find("VRAM budget of 150"), std::string::npos) << e.what();
  }
}

TEST(VramPlan, BlockIndexAndSizesFromTheHeader) {
  EXPECT_EQ(flux_block_index("double_blocks.3.img_attn.qkv", 19), 3u);
  EXPECT_EQ(flux_block_index("single_blocks.2.linear1.weight", 19), 21u);
  EXPECT_EQ(flux_block_index("model.diffusion_model.single_blocks.0.linear2.weight", 19), 19u);
  EXPECT_FALSE(flux_block_index("img_in.weight", 19));
  EXPECT_FALSE(flux_block_index("xdouble_blocks.1.a", 19));
  EXPECT_FALSE(flux_block_index("double_blocks.x.a", 19));
  const auto store = open_tensor_store(test::fixture("flux_e2e.safetensors"));
  const auto model = flux::FluxModel::load(store, {});
  const FluxWeightSizes file = flux_weight_sizes(*store, "", model->config(), std::nullopt, 64);
  EXPECT_EQ(file.total(), store->data_bytes());
  const FluxWeightSizes nf4 = flux_weight_sizes(*store, "", model->config(), DType::NF4, 64);
  EXPECT_LT(nf4.total(), file.total());
  EXPECT_EQ(nf4.outside_blocks, file.outside_blocks);
}

TEST_F(OnFakeDevice, StreamedBlocksGiveTheResidentOutput) {
  const uint64_t pinned_before = fake.pinned_bytes();
  const int async_before = fake.async_uploads();
  const auto results = test::run_streaming_parities(Device::CUDA);
  ASSERT_EQ(results.size(), 2u);
  for (const auto& r : results) {
    EXPECT_EQ(r.step1, 0.0) << r.name;  // same kernels, same order
    // A second step reuses the prefetched first block and gives the same output again.
    EXPECT_EQ(r.step2, 0.0) << r.name;
    EXPECT_EQ(r.uploads_after_step1, static_cast<int64_t>(r.blocks) + 1) << r.name;  // + the next step's first block
  }
  EXPECT_GT(fake.pinned_bytes(), pinned_before);  // block weights stayed on the host, page-locked
  EXPECT_GT(fake.async_uploads(), async_before);
}

// ESRGAN/SRVGG, YOLO and TAEF1 on the device give the CPU's results; their inputs go in and their
// results come back by themselves (the stand-in crashes on any host read of device memory).
TEST_F(OnFakeDevice, UpscalersDetectorsAndTaef1RunOnTheDevice) {
  const StorePlacement on_device = store_placement(Device::CUDA);
  const Tensor image = image_to_tensor(to_rgb(read_image(test::photo_png())), PixelRange::ZeroOne);
  const Tensor crop = ops::slice(ops::slice(image, 2, 0, 40), 3, 0, 56);
  for (const char* file : {"esrgan_old.pth", "real/realesr-animevideov3.pth"}) {
    UpscalerOptions placed;
    placed.placement = on_device;
    const auto cpu = Upscaler::load(test::fixture(file)), gpu = Upscaler::load(test::fixture(file), placed);
    EXPECT_EQ(cpu->device(), Device::CPU);
    ASSERT_EQ(gpu->device(), Device::CUDA) << file;
    const TileSettings tiles{24, 4};  // several tiles, each copied in and back
    const Tensor a = cpu->upscale_tiled(crop, tiles), b = gpu->upscale_tiled(crop, tiles);
    ASSERT_EQ(b.device(), Device::CPU);
    EXPECT_EQ(test::rel_l2(b, a), 0.0) << file;
  }

  const Image photo = read_image(test::photo_png());
  const auto cpu_yolo = yolo::YoloDetector::load(test::fixture("yolo/yolov8n_tiny.pt"));
  const auto gpu_yolo = yolo::YoloDetector::load(test::fixture("yolo/yolov8n_tiny.pt"), on_device);
  ASSERT_EQ(gpu_yolo->model().device(), Device::CUDA);
  yolo::NmsOptions nms;
  nms.confidence = 0.01f;  // random tiny weights: keep some boxes to compare
  const auto a = cpu_yolo->detect(photo, nms), b = gpu_yolo->detect(photo, nms);
  ASSERT_FALSE(a.empty());
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].x1, b[i].x1);
    EXPECT_EQ(a[i].y2, b[i].y2);
    EXPECT_EQ(a[i].confidence, b[i].confidence);
    EXPECT_EQ(a[i].cls, b[i].cls);
  }

  const std::string taef1 = test::fixture("real/taef1_decoder.safetensors");
  const Tensor real = SafetensorsFile::open(test::fixture("real/real_io.safetensors"))->get("taef1.out.latent");
  const Tensor latent = ops::slice(ops::slice(to_f32(real), 2, 0, 8), 3, 0, 12).clone();
  const TaesdDecoder cpu_taef1 = load_taesd_decoder(taef1), gpu_taef1 = load_taesd_decoder(taef1, on_device);
  EXPECT_EQ(test::rel_l2(ops::to_host(gpu_taef1.forward(latent)), cpu_taef1.forward(latent)), 0.0);

  // A preview decoder that runs out of device memory gives that step the cheap map, not an error.
  const std::string models = test::temp_dir() + "/taef1_models";
  std::filesystem::create_directories(models + "/VAE-approx");
  std::filesystem::create_symlink(taef1, models + "/VAE-approx/taef1_decoder.safetensors");
  const PreviewRenderer renderer(PreviewType::Taesd, models, nullptr, on_device);
  ASSERT_EQ(renderer.effective_type(), PreviewType::Taesd);
  EXPECT_EQ(renderer.render(latent).pixels, tensor_to_image(cpu_taef1.forward(latent), PixelRange::ZeroOne).pixels);
  fake.set_capacity(fake.memory().in_use + 1024);
  EXPECT_EQ(renderer.render(latent).pixels, latent_to_rgb_preview(latent).pixels);
}

using DeviceRun = test::TinyRun;

const std::string kTxt2Img = R"({"prompt": "a cat", "width": 64, "height": 48, "steps": 3, "seed": 11, "cfg_scale": 1.5})";

TEST_F(OnFakeDevice, GenerationsRunOnTheDeviceAndMatchTheCpu) {
  DeviceRun cpu(resolve_device("cpu"));
  DeviceRun gpu(resolve_device("cuda"));
  const std::string hires = R"({"prompt": "a house", "width": 48, "height": 32, "steps": 3, "seed": 3, "enable_hr": true,
      "hr_scale": 2, "hr_upscaler": "4x-UltraSharp", "hr_second_pass_steps": 2, "denoising_strength": 0.3})";
  const std::string adetailer = R"({"prompt": "people", "width": 128, "height": 64, "steps": 2, "seed": 2,
      "denoising_strength": 0.2, "init_image": ")" + test::photo_png() + R"(",
      "alwayson_scripts": {"ADetailer": {"args": [true, false, {"ad_model": "face_yolov8n.pt", "ad_confidence": 0.25,
        "ad_denoising_strength": 0.6, "ad_use_steps": true, "ad_steps": 3, "ad_use_inpaint_width_height": true,
        "ad_inpaint_width": 32, "ad_inpaint_height": 32}]}}})";
  int previews = 0;
  gpu.progress.preview_every = 1;
  gpu.progress.on_update = [&](const ProgressSnapshot& s) {
    if (s.preview_latent.defined()) ++previews;
  };
  for (const std::string& patch : {kTxt2Img, hires, adetailer}) {
    const auto a = cpu(patch), b = gpu(patch);
    ASSERT_EQ(a.images.size(), b.images.size());
    // The stand-in computes with the CPU's kernels: the device path must give the same pixels.
    EXPECT_EQ(a.images[0].image.pixels, b.images[0].image.pixels) << patch;
    EXPECT_EQ(a.images[0].infotext, b.images[0].infotext);
  }
  EXPECT_GT(previews, 0);
  // The denoising steps replayed captured graphs (models/flux/step_graph.h), same pixels as above.
  EXPECT_GE(fake.captures(), 3);
  EXPECT_GT(fake.replays(), fake.captures());
  EXPECT_EQ(&gpu.models.flux(), &gpu.models.flux());
  EXPECT_GT(fake.memory().in_use, 0u);  // the transformer, autoencoder and text encoders stay there
}

// The tiny models folder with a deeper random transformer (3 + 5 blocks) of the tiny widths, so
// that streaming has blocks to spare (with two blocks, both are on the device while streaming).
std::string deep_models_dir() {
  static const std::string dir = [] {
    namespace fs = std::filesystem;
    const fs::path d = test::temp_dir() + "/deep_models";
    for (const auto& e : fs::recursive_directory_iterator(test::tiny_models_dir())) {
      const fs::path rel = e.path().lexically_relative(test::tiny_models_dir());
      if (e.is_directory()) fs::create_directories(d / rel);
      else if (rel.filename() != "tiny-flux.safetensors") fs::create_symlink(fs::canonical(e.path()), d / rel);
    }
    const auto tiny = open_tensor_store(test::fixture("flux_e2e.safetensors"));
    flux::FluxConfig c = flux::FluxModel::load(tiny, {})->config();
    c.depth = 3;
    c.depth_single_blocks = 5;
    const auto weights = flux::random_flux_weights(c, DType::F32, 7);
    std::vector<std::pair<std::string, Tensor>> tensors;
    for (const auto& n : weights->names()) tensors.emplace_back(n, weights->get(n));
    write_safetensors((d / "Stable-diffusion/deep-flux.safetensors").string(), tensors, {{"config", weights->metadata("config")}});
    return d.string();
  }();
  return dir;
}



TEST_F(OnFakeDevice, ABudgetBelowTheModelStreamsAndKeepsThePeakUnderIt) {
  GenerationResult a;
  uint64_t planned_peak = 0, flux_bytes = 0;
  {
    // Without keeping the text encoders, as the CLI runs.
    DeviceRun resident(resolve_device("cuda"), deep_models_dir(), false);
    a = resident(kTxt2Img);
    planned_peak = resident.models.flux_plan().peak_bytes;
    flux_bytes = resident.models.flux_plan().resident_bytes;
    ASSERT_TRUE(resident.models.flux_plan().streamed.empty());
  }
  EXPECT_EQ(fake.memory().in_use, 0u);  // every model's device memory went with its manager
  // A budget a third of the transformer short of the resident plan: blocks stream, and the job
  // never hits the allocator's limit (the budget): the text encoders run where there is room and
  // the planner's estimate of sampling's activations holds.
  const uint64_t budget = planned_peak - flux_bytes / 3;
  DeviceRun streamed(resolve_device("cuda", static_cast<double>(budget) / double(uint64_t(1) << 30)), deep_models_dir(),
                    false);
  fake.reset_memory_peak();
  const auto b = streamed(kTxt2Img);
  EXPECT_FALSE(streamed.models.flux_plan().streamed.empty()) << streamed.models.flux_plan().describe();
  EXPECT_LE(fake.memory().peak_in_use, budget);
  EXPECT_EQ(a.images[0].image.pixels, b.images[0].image.pixels);
  bool noted = false;
  for (const auto& n : b.notes) noted = noted || n.find("blocks") != std::string::npos;
  EXPECT_TRUE(noted);
}

TEST_F(OnFakeDevice, OutOfMemoryMidJobIsAClearErrorAndTheNextJobRuns) {
  DeviceRun run(resolve_device("cuda"));
  const auto ok = run(kTxt2Img);
  const uint64_t held = fake.memory().in_use;
  // The card fills up (another process): the next allocation of the job fails.
  fake.set_memory_limit(held + 1024);
  try {
    run(kTxt2Img);
    FAIL() << "expected an out-of-memory error";
  } catch (const DeviceOutOfMemory& e) {
    EXPECT_NE(std::string(e.what()).find("out of memory"), std::string::npos);
  }
  EXPECT_EQ(fake.memory().in_use, held);  // everything the failed job allocated is released
  fake.set_memory_limit(0);
  const auto again = run(kTxt2Img);
  EXPECT_EQ(ok.images[0].image.pixels, again.images[0].image.pixels);
}

// Every command that runs a model takes --device: the CPU works, a GPU this machine has not got is a
// clear error before any output is written.
TEST(DeviceCli, UpscaleDetectAndGenerateTakeTheDevice) {
  FLUXGEN_REQUIRE_CLI();
  const std::string dir = test::temp_dir();
  const std::string esrgan = test::fixture("esrgan_old.pth"), yolo = test::fixture("yolo/yolov8n_tiny.pt");
  Image small(64, 48, 3);
  for (size_t i = 0; i < small.pixels.size(); ++i) small.pixels[i] = static_cast<uint8_t>(i * 7);
  write_png(dir + "/small.png", small);
  auto r = test::run_fluxgen({"upscale", dir + "/small.png", dir + "/up.png", "--upscaler", esrgan, "--scale", "2",
                              "--device", "cpu"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(read_image(dir + "/up.png").width, 128);
  r = test::run_fluxgen({"detect", test::photo_png(), "--model", yolo, "--device", "cpu"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  if (backend_available(Device::CUDA)) GTEST_SKIP() << "this machine has a GPU";
  const std::vector<std::vector<std::string>> on_gpu = {
      {"upscale", dir + "/small.png", dir + "/gpu.png", "--upscaler", esrgan, "--device", "cuda"},
      {"detect", test::photo_png(), "--model", yolo, "--device", "cuda:0", "--output", dir + "/boxes.png"},
      {"generate", "--models-dir", test::tiny_models_dir(), "--prompt", "a cat", "--width", "64", "--height", "64",
       "--steps", "1", "--device", "cuda", "--output", dir + "/gen"}};
  for (const auto& args : on_gpu) {
    r = test::run_fluxgen(args);
    EXPECT_NE(r.exit_code, 0) << args[0];
    EXPECT_NE(r.err.find("--device"), std::string::npos) << args[0] << ": " << r.err;
  }
  EXPECT_FALSE(std::filesystem::exists(dir + "/gpu.png"));
  EXPECT_FALSE(std::filesystem::exists(dir + "/boxes.png"));
  EXPECT_FALSE(std::filesystem::exists(dir + "/gen"));
}

}  // namespace
}  // namespace fluxgen
