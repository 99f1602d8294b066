// Weight streaming and the VRAM budget on the card: FLUX with every block streamed through the
// copy stream (pipeline/placement/weight_streamer.h) gives the resident run's output (the same
// kernels in the same order; a copy racing its use would not), for the file's dtypes and nf4,
// over two steps; an allocation past the budget is a DeviceOutOfMemory and the next one works.
#include "backend/cuda/cuda_install.h"
#include "backend/ops.h"
#include "gpu_check.h"
#include "io/safetensors.h"
#include "op_support.h"
#include "pipeline/placement/device_weight_store.h"
#include "pipeline/placement/weight_streamer.h"
#include "tensor/convert.h"
#include "test_support.h"

namespace fluxgen::gpu_test {
namespace {

GPU_TEST(streamed_flux_blocks_match_resident) {
  use(modes()[0]);  // fp32 activations: the comparison is exact
  Backend& gpu = backend_for(Device::CUDA);
  const auto io = SafetensorsFile::open(test::fixture("flux_io.safetensors"));
  const auto host = open_tensor_store(test::fixture("flux_bfl.safetensors"));
  flux::FluxInputs in;
  in.img = gpu.upload(io->get("in.img"));
  in.txt = gpu.upload(io->get("in.txt"));
  in.y = gpu.upload(io->get("in.y"));
  in.img_ids = to_f32(io->get("in.img_ids"));
  in.txt_ids = to_f32(io->get("in.txt_ids"));
  in.timesteps = to_vector(io->get("in.timesteps"));
  in.guidance = to_vector(io->get("in.guidance"));
  for (const std::optional<DType> storage : {std::optional<DType>(), std::optional<DType>(DType::NF4)}) {
    const auto load = [&](bool stream) {
      flux::FluxLoadOptions opt;
      opt.storage = storage;
      opt.place = [stream](std::shared_ptr<const TensorStore> s, const std::string&, const flux::FluxConfig& c) {
        DeviceWeightStore::KeyFilter filter;
        if (stream) filter = [d = c.depth](const std::string& k) { return flux_block_index(k, d).has_value(); };
        return std::make_shared<DeviceWeightStore>(s, Device::CUDA, filter);
      };
      return flux::FluxModel::load(host, opt);
    };
    const Tensor resident = ops::to_host(load(false)->forward(in));
    auto model = load(true);
    std::vector<size_t> all(model->block_count());
    for (size_t i = 0; i < all.size(); ++i) all[i] = i;
    model->set_block_hooks(std::make_shared<WeightStreamer>(*model, all, gpu));
    const std::string name = storage ? "nf4" : "file dtypes";
    check_error("streamed vs resident, " + name + ", step 1", test::rel_l2(ops::to_host(model->forward(in)), resident), 1e-7);
    check_error("streamed vs resident, " + name + ", step 2", test::rel_l2(ops::to_host(model->forward(in)), resident), 1e-7);
  }
}

GPU_TEST(allocations_past_the_budget_fail_cleanly) {
  Backend& gpu = backend_for(Device::CUDA);
  const DeviceMemory before = gpu.memory();
  gpu.set_memory_limit(before.reserved + (uint64_t(64) << 20));
  bool refused = false;
  try {
    gpu.upload(Tensor::zeros({int64_t(64) << 20}));  // 256 MiB of F32
  } catch (const DeviceOutOfMemory&) {
    refused = true;
  }
  CHECK_TRUE(refused);
  gpu.set_memory_limit(0);
  const Tensor ok = gpu.upload(Tensor::zeros({int64_t(1) << 20}));
  CHECK_TRUE(ok.device() == Device::CUDA);
  CHECK_TRUE(gpu.memory().total > 0 && gpu.memory().free <= gpu.memory().total);
}

}  // namespace
}  // namespace fluxgen::gpu_test
