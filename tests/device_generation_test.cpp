// The GPU path checked on the stand-in device (fake_device_backend.h: memory the host cannot read,
// a capacity, peak accounting): `--device` resolution, the VRAM planner, weight streaming under a
// budget, whole generations (txt2img, img2img, HiRes.fix with ESRGAN, ADetailer, previews) with
// every model placed on the device, and out-of-memory faults that leave the next job working.
#include <gtest/gtest.h>

#include <filesystem>

#include "backend/ops.h"
#include "device_parity.h"
#include "fake_device_backend.h"
#include "io/safetensors.h"
#include "models/flux/flux_parameters.h"
#include "pipeline/generator.h"
#include "pipeline/placement/device_choice.h"
#include "pipeline/placement/vram_plan.h"
#include "pipeline/placement/weight_streamer.h"
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

}  // namespace
}  // namespace fluxgen
