// The denoising step as a device graph (models/flux/step_graph.h) on the stand-in device, whose
// capture records every op with its arguments and whose replay recomputes them into the recorded
// results: a step that baked a per-step value into its graph (a host tensor, an upload) would
// fail the capture or give another answer at the next replay. Each step is compared with the plain
// forward, bit for bit: the graph is the same ops on the same values.
#include <gtest/gtest.h>

#include "backend/ops.h"
#include "fake_device_backend.h"
#include "io/safetensors.h"
#include "models/flux/step_graph.h"
#include "pipeline/placement/device_weight_store.h"
#include "tensor/convert.h"
#include "test_support.h"

namespace fluxgen {
namespace {

class StepGraphOnFakeDevice : public ::testing::Test {
 protected:
  void SetUp() override {
    register_backend(Device::CUDA, &fake);
    model = flux::FluxModel::load(
        std::make_shared<DeviceWeightStore>(open_tensor_store(test::fixture("flux_bfl.safetensors")), Device::CUDA),
        flux::FluxLoadOptions{});
    io = SafetensorsFile::open(test::fixture("flux_io.safetensors"));
  }
  void TearDown() override {
    model.reset();
    register_backend(Device::CUDA, nullptr);
  }

  // The fixture's inputs at step `k`: another latent and timestep each step, as a sampler gives.
  flux::FluxInputs step(int k, int64_t batch = 1) {
    Backend& d = backend_for(Device::CUDA);
    const auto repeat = [batch](Tensor t) { return ops::concat(std::vector<Tensor>(static_cast<size_t>(batch), t), 0); };
    flux::FluxInputs in;
    in.img = d.upload(repeat(ops::affine(to_f32(io->get("in.img")), 1.0f - 0.15f * static_cast<float>(k), 0.05f * static_cast<float>(k))));
    in.txt = d.upload(repeat(to_f32(io->get("in.txt"))));
    in.y = d.upload(repeat(to_f32(io->get("in.y"))));
    in.img_ids = repeat(to_f32(io->get("in.img_ids")));
    in.txt_ids = repeat(to_f32(io->get("in.txt_ids")));
    in.timesteps.assign(static_cast<size_t>(batch), 1.0f - 0.2f * static_cast<float>(k));
    in.guidance.assign(static_cast<size_t>(batch), 3.5f);
    return in;
  }

  static Tensor host(const Tensor& t) { return ops::to_host(t); }

  test::FakeDeviceBackend fake;
  std::unique_ptr<flux::FluxModel> model;
  std::shared_ptr<const SafetensorsFile> io;
};

TEST_F(StepGraphOnFakeDevice, FromTheSecondStepTheBlocksReplayOneGraphWithTheSameNumbers) {
  flux::StepGraph graph(*model);
  for (int k = 0; k < 5; ++k) {
    const flux::FluxInputs in = step(k);
    const Tensor want = host(model->forward(in));
    const Tensor got = host(graph.forward(in));
    EXPECT_EQ(test::max_abs_diff(got, want), 0.0) << "step " << k;
  }
  EXPECT_EQ(graph.failure(), "");
  EXPECT_EQ(graph.captures(), 1);
  EXPECT_EQ(graph.replays(), 4);  // the first step ran plainly, the second was captured and replayed
  EXPECT_EQ(fake.replays(), 4);

  // Another batch size is other shapes: a plain step, then a new capture.
  for (int k = 0; k < 3; ++k) {
    const flux::FluxInputs in = step(k, 2);
    EXPECT_EQ(test::max_abs_diff(host(graph.forward(in)), host(model->forward(in))), 0.0) << "batch 2, step " << k;
  }
  EXPECT_EQ(graph.captures(), 2);
  EXPECT_EQ(graph.replays(), 6);
}

TEST_F(StepGraphOnFakeDevice, TheGraphsMemoryIsReleasedWithIt) {
  const uint64_t before = fake.memory().in_use;
  {
    flux::StepGraph graph(*model);
    for (int k = 0; k < 3; ++k) graph.forward(step(k));
    EXPECT_EQ(graph.captures(), 1);
    EXPECT_GT(fake.memory().in_use, before);  // the captured step's tensors are the graph's
  }
  EXPECT_EQ(fake.memory().in_use, before);
}

TEST_F(StepGraphOnFakeDevice, NoGraphWithAStepCacheStreamedBlocksOrABackendWithoutGraphs) {
  const std::vector<float> sigmas = {1.0f, 0.8f, 0.6f, 0.4f, 0.2f, 0.0f};
  {
    flux::StepGraph graph(*model);
    flux::StepCache mine({flux::StepCacheMode::FirstBlock, 0.5}, sigmas), theirs({flux::StepCacheMode::FirstBlock, 0.5}, sigmas);
    for (int k = 0; k < 4; ++k) {
      const flux::FluxInputs in = step(k);
      EXPECT_EQ(test::max_abs_diff(host(graph.forward(in, &mine)), host(model->forward(in, &theirs))), 0.0);
    }
    EXPECT_EQ(graph.captures(), 0);
  }
  {
    fake.set_graphs(false);
    flux::StepGraph graph(*model);
    for (int k = 0; k < 3; ++k) {
      const flux::FluxInputs in = step(k);
      EXPECT_EQ(test::max_abs_diff(host(graph.forward(in)), host(model->forward(in))), 0.0);
    }
    EXPECT_EQ(graph.captures(), 0);
    fake.set_graphs(true);
  }
  {
    // Hooks around the blocks (the weight streamer's): they run host code mid-step.
    struct CountingHooks : flux::BlockHooks {
      void before_block(size_t) override { ++calls; }
      void after_block(size_t) override {}
      int calls = 0;
    };
    auto hooks = std::make_shared<CountingHooks>();
    model->set_block_hooks(hooks);
    flux::StepGraph graph(*model);
    for (int k = 0; k < 3; ++k) graph.forward(step(k));
    EXPECT_EQ(graph.captures(), 0);
    EXPECT_EQ(hooks->calls, 3 * static_cast<int>(model->block_count()));
    model->set_block_hooks(nullptr);
  }
  EXPECT_EQ(fake.captures(), 0);
}

TEST_F(StepGraphOnFakeDevice, ACaptureThatRunsOutOfMemoryLeavesThePassOnThePlainForward) {
  // Room for a plain step but not for a captured one (the stand-in device keeps every tensor of a
  // capture: far more than one step's peak).
  const flux::FluxInputs first = step(0);
  const uint64_t base = fake.memory().in_use;
  fake.reset_memory_peak();
  const Tensor plain = host(model->forward(first));
  const uint64_t peak = fake.memory().peak_in_use;
  fake.set_memory_limit(peak + (peak - base) / 4);
  flux::StepGraph graph(*model);
  for (int k = 0; k < 4; ++k) {
    const flux::FluxInputs in = step(k);
    EXPECT_EQ(test::max_abs_diff(host(graph.forward(in)), host(model->forward(in))), 0.0) << "step " << k;
  }
  EXPECT_NE(graph.failure().find("out of memory"), std::string::npos) << graph.failure();
  EXPECT_EQ(graph.captures(), 0);
  EXPECT_EQ(graph.replays(), 0);
  fake.set_memory_limit(0);
  EXPECT_LE(fake.memory().in_use, base + (peak - base));  // what the failed capture held is freed
  (void)plain;
}

TEST_F(StepGraphOnFakeDevice, TheStandInDeviceRefusesHostTensorsUnderCapture) {
  // The rule the graph relies on, checked on the stand-in itself: a capture cannot take a host value.
  const Tensor d = fake.upload(Tensor::full({4}, 1.0f));
  fake.begin_capture();
  EXPECT_THROW(ops::add(d, Tensor::full({4}, 2.0f)), Error);
  EXPECT_THROW(fake.upload(Tensor::full({4}, 2.0f)), Error);
  EXPECT_THROW(fake.download(d), Error);
  fake.abort_capture();
  EXPECT_EQ(ops::to_host(ops::add(d, d)).data<float>()[0], 2.0f);
}

}  // namespace
}  // namespace fluxgen
