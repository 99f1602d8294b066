// Placement on an accelerator, checked without one. ops.h sends a call to the device when any
// argument lives there; DeviceWeightStore keeps weights resident in their storage dtype (GGUF
// blocks included); to_device_of places host-built tables; and every fixture model runs end to
// end with weights and inputs on a stand-in device (fake_device_backend.h) and matches its
// reference as on the CPU, which proves no model reads device memory on the host.
#include <gtest/gtest.h>

#include <cstring>

#include "pipeline/placement/device_weight_store.h"
#include "backend/ops.h"
#include "device_parity.h"
#include "fake_device_backend.h"
#include "gguf_test_writer.h"
#include "tensor/convert.h"
#include "test_support.h"

namespace fluxgen {
namespace {

class DevicePlacement : public ::testing::Test {
 protected:
  void SetUp() override { register_backend(Device::CUDA, &fake); }
  void TearDown() override { register_backend(Device::CUDA, nullptr); }
  test::FakeDeviceBackend fake;
};

Tensor ramp(Shape shape, float step = 0.25f) {
  Tensor t = Tensor::empty(std::move(shape));
  for (int64_t i = 0; i < t.numel(); ++i) t.f32()[i] = static_cast<float>(i % 7) * step - 0.5f;
  return t;
}

TEST_F(DevicePlacement, OpsRunOnTheDeviceWhenAnyArgumentIsThere) {
  const Tensor x = ramp({3, 4}), w = ramp({5, 4}, 0.1f), b = ramp({5});
  const Tensor host = ops::linear(x, w, &b);
  const Tensor w_dev = fake.upload_weight(w);
  const Tensor mixed = ops::linear(x, w_dev, &b);  // host activations, device weight
  EXPECT_EQ(mixed.device(), Device::CUDA);
  EXPECT_EQ(test::max_abs_diff(ops::to_host(mixed), host), 0.0);
  EXPECT_EQ(ops::add(x, fake.upload(x)).device(), Device::CUDA);
  EXPECT_EQ(ops::concat({x, fake.upload(x)}, 0).device(), Device::CUDA);
  EXPECT_EQ(ops::embedding(Tensor::from_vector({2}, {1, 3}), fake.upload_weight(w)).device(), Device::CUDA);
  EXPECT_EQ(ops::add(x, x).device(), Device::CPU);
}

TEST_F(DevicePlacement, HostCodeRefusesDeviceTensors) {
  const Tensor d = fake.upload(ramp({2, 2}));
  EXPECT_THROW(to_f32(d), Error);
  EXPECT_THROW(d.f32(), Error);
  EXPECT_EQ(test::max_abs_diff(ops::to_host(d), ramp({2, 2})), 0.0);
}

TEST_F(DevicePlacement, WeightStoreKeepsStorageDtypesAndOneCopy) {
  auto host = std::make_shared<MemoryStore>("weights.safetensors");
  const Tensor f = ramp({4, 64});
  host->put("nf4", convert(f, DType::NF4));
  host->put("bf16", convert(f, DType::BF16));
  DeviceWeightStore store(host, Device::CUDA);
  const Tensor a = store.get("nf4"), again = store.get("nf4"), bf = store.get("bf16");
  EXPECT_EQ(a.device(), Device::CUDA);
  EXPECT_EQ(a.dtype(), DType::NF4);
  EXPECT_EQ(a.absmax().device(), Device::CUDA);
  EXPECT_EQ(a.storage(), again.storage());
  EXPECT_EQ(bf.dtype(), DType::BF16);
  EXPECT_EQ(store.resident_bytes(), a.nbytes() + a.absmax().nbytes() + bf.nbytes());
  EXPECT_EQ(test::max_abs_diff(ops::to_host(a), to_f32(host->get("nf4"))), 0.0);
  EXPECT_EQ(store.names(), host->names());
  EXPECT_EQ(store.shape("bf16"), (Shape{4, 64}));
}

TEST_F(DevicePlacement, WeightStoreKeepsGgufBlocksAsTheFileHoldsThem) {
  auto host = std::make_shared<MemoryStore>("flux1-dev-Q4_K.gguf");
  const std::vector<uint8_t> blocks = test::random_blocks(gguf::GgmlType::Q4_K, 2 * 256, 1.0f, 7);
  Tensor q = Tensor::empty({2, 256}, DType::Q4_K);  // two Q4_K blocks
  std::memcpy(q.raw_data(), blocks.data(), blocks.size());
  host->put("w", q);
  host->put("layer", q);
  DeviceWeightStore store(host, Device::CUDA);
  // Resident and layer weights alike: the raw blocks on the device, nothing expanded at load.
  const Tensor w = store.get("w"), layer = store.get_layer_weight("layer", std::nullopt, 64);
  for (const Tensor& t : {w, layer}) {
    EXPECT_EQ(t.device(), Device::CUDA);
    EXPECT_EQ(t.dtype(), DType::Q4_K);
    EXPECT_EQ(t.held_bytes(), blocks.size());
    EXPECT_EQ(test::max_abs_diff(ops::to_host(ops::dequantize(t)), to_f32(q)), 0.0);
  }
  EXPECT_EQ(store.resident_bytes(), 2 * blocks.size());
  EXPECT_EQ(fake.memory().in_use, 2 * blocks.size());
  // Streamed layers stay on the host, page-locked, in their GGUF type.
  DeviceWeightStore streaming(host, Device::CUDA, [](const std::string& k) { return k == "layer"; });
  const Tensor pinned = streaming.get_layer_weight("layer", std::nullopt, 64);
  EXPECT_EQ(pinned.device(), Device::CPU);
  EXPECT_EQ(pinned.dtype(), DType::Q4_K);
  EXPECT_EQ(std::memcmp(pinned.raw_data(), blocks.data(), blocks.size()), 0);
}

TEST_F(DevicePlacement, ToDeviceOfPlacesTablesInTheirOwnDtype) {
  const Tensor table = ramp({3, 2});
  const Tensor on_device = ops::to_device_of(table, fake.upload(ramp({1})));
  EXPECT_EQ(on_device.device(), Device::CUDA);
  EXPECT_EQ(on_device.dtype(), DType::F32);
  EXPECT_EQ(ops::to_device_of(table, ramp({1})).storage(), table.storage());
  const Tensor back = ops::to_device_of(on_device, ramp({1}));
  EXPECT_EQ(back.device(), Device::CPU);
  EXPECT_EQ(test::max_abs_diff(back, table), 0.0);
}

TEST_F(DevicePlacement, FixtureModelsMatchTheirReferencesOnTheDevice) {
  for (const std::optional<DType> weights : {std::optional<DType>(DType::F32), std::optional<DType>()}) {
    const auto results = test::run_device_parities({Device::CUDA, weights});
    EXPECT_EQ(results.size(), 11u);
    for (const auto& r : results) {
      EXPECT_LT(r.error, 1e-4) << r.name;
      EXPECT_GT(r.error, 0.0) << r.name;  // a real comparison, not a tensor with itself
    }
  }
  EXPECT_EQ(fake.live_tensors(), 0u);  // every device tensor released with its model
}

TEST(DevicePlacementErrors, WeightStoreNeedsTheDeviceBackend) {
  try {
    DeviceWeightStore store(std::make_shared<MemoryStore>("w"), Device::CUDA);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("no backend for the CUDA device"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace fluxgen
