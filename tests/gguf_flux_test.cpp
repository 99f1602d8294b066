// GGUF models end to end: the tiny FLUX (and T5) fixtures written as GGUF in every block type
// load with their weights kept in that type, and compute what the same weights dequantized by
// our decoders into a safetensors file compute, on the CPU and on a (stand-in) device; online
// LoRA over them; errors for broken files; `fluxgen info` and model discovery.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <functional>

#include "backend/ops.h"
#include "fake_device_backend.h"
#include "gguf_test_writer.h"
#include "io/gguf_store.h"
#include "io/safetensors.h"
#include "lora/lora_patcher.h"
#include "lora/lora_reader.h"
#include "models/checkpoint_inspector.h"
#include "models/flux/flux_io_inputs.h"
#include "models/flux/flux_model.h"
#include "models/t5/t5_encoder.h"
#include "pipeline/model_discovery.h"
#include "pipeline/placement/device_weight_store.h"
#include "pipeline/placement/vram_plan.h"
#include "pipeline/placement/weight_streamer.h"
#include "tensor/convert.h"
#include "test_support.h"
#include "tiny_models.h"
#include "util/error.h"

namespace fluxgen {
namespace {

namespace fs = std::filesystem;
using gguf::GgmlType;

const GgmlType kTypes[] = {GgmlType::F16,  GgmlType::BF16, GgmlType::Q8_0, GgmlType::Q4_0,
                           GgmlType::Q4_1, GgmlType::Q5_0, GgmlType::Q5_1, GgmlType::Q2_K,
                           GgmlType::Q3_K, GgmlType::Q4_K, GgmlType::Q5_K, GgmlType::Q6_K};

std::string type_name(GgmlType t) { return std::string(gguf::ggml_type_info(t).name); }

// The FLUX fixture as flux-<type>.gguf; the fixture's config rides along as metadata (its
// axes_dim cannot be inferred from shapes).
std::string flux_gguf(GgmlType type, const std::string& dir) {
  const auto src = open_tensor_store(test::fixture("flux_bfl.safetensors"));
  const std::string path = dir + "/flux1-dev-" + type_name(type) + ".gguf";
  const int quantized = test::write_store_as_gguf(*src, path, type, {{{"config", src->metadata("config")}}, {}});
  EXPECT_GE(quantized, 2) << type_name(type);
  return path;
}

// The same tensors decoded to F32 by our decoders, as a safetensors file.
std::shared_ptr<TensorStore> dequantized_copy(const TensorStore& gguf, const std::string& path) {
  std::vector<std::pair<std::string, Tensor>> tensors;
  for (const auto& n : gguf.names()) tensors.emplace_back(n, to_f32(gguf.get(n)));
  write_safetensors(path, tensors, {{"config", gguf.metadata("config")}});
  return open_tensor_store(path);
}

TEST(GgufFlux, EveryTypeComputesWhatItsDequantizedWeightsCompute) {
  const std::string dir = test::temp_dir();
  const auto io = SafetensorsFile::open(test::fixture("flux_io.safetensors"));
  const flux::FluxInputs in = flux::read_flux_inputs(*io);
  for (GgmlType type : kTypes) {
    SCOPED_TRACE(type_name(type));
    const auto store = open_tensor_store(flux_gguf(type, dir));
    const auto model = flux::FluxModel::load(store, {});
    // The weights stay in their GGUF type: no expansion at load.
    const auto usage = model->weight_usage();
    ASSERT_TRUE(usage.count(type_name(type))) << model->describe_weight_usage();
    uint64_t held = 0;
    for (const auto& [dtype, u] : usage) held += u.bytes;
    // The model holds what the file holds (its tensor data), not an expanded copy.
    EXPECT_EQ(held, store->data_bytes());
    const auto reference = flux::FluxModel::load(dequantized_copy(*store, dir + "/deq.safetensors"), {});
    const Tensor want = reference->forward(in);
    const double err = test::rel_l2(model->forward(in), want);
    EXPECT_LT(err, 1e-5);
    if (gguf::ggml_type_is_block_quantized(type)) {
      // The random blocks really change the model: it no longer computes the fixture's output.
      EXPECT_GT(test::rel_l2(want, io->get("out.pred")), 1e-3);
    } else {
      // F16/BF16 hold the fixture's own (bf16) weights: the reference output itself.
      EXPECT_LT(test::rel_l2(model->forward(in), io->get("out.pred")), 1e-4);
    }
    std::printf("GGUF %s: forward vs dequantized safetensors rel L2 %.2e\n", type_name(type).c_str(), err);
  }
}

TEST(GgufFlux, KeepsTheFileSizeNotTheBf16Size) {
  const std::string dir = test::temp_dir();
  const std::string path = flux_gguf(GgmlType::Q4_0, dir);
  const auto store = open_tensor_store(path);
  const auto model = flux::FluxModel::load(store, {});
  uint64_t held = 0, bf16 = 0;
  for (const auto& [dtype, u] : model->weight_usage()) held += u.bytes;
  for (const auto& n : store->names()) bf16 += 2 * static_cast<uint64_t>(shape_numel(store->shape(n)));
  const uint64_t file = fs::file_size(path);
  std::printf("tiny FLUX Q4_0: file %llu bytes, weights held %llu bytes, as bf16 %llu bytes\n",
              static_cast<unsigned long long>(file), static_cast<unsigned long long>(held),
              static_cast<unsigned long long>(bf16));
  EXPECT_LE(held, file);
  EXPECT_LT(held, bf16);
}

TEST(GgufFlux, OnlineLoraEqualsTheLoraOverTheDequantizedWeights) {
  const std::string dir = test::temp_dir();
  const auto io = SafetensorsFile::open(test::fixture("flux_io.safetensors"));
  const flux::FluxInputs in = flux::read_flux_inputs(*io);
  for (GgmlType type : {GgmlType::Q8_0, GgmlType::Q4_K}) {
    SCOPED_TRACE(type_name(type));
    const auto store = open_tensor_store(flux_gguf(type, dir));
    auto model = flux::FluxModel::load(store, {});
    auto reference = flux::FluxModel::load(dequantized_copy(*store, dir + "/deq.safetensors"), {});
    const lora::TargetResolver resolver(model->config());
    const lora::LoraSet kohya = lora::read_lora_file(test::fixture("flux_lora_kohya.safetensors"), resolver);
    lora::LoraPatcher on_gguf(lora::Component::Transformer, model->linear_layers(), model->source());
    lora::LoraPatcher on_f32(lora::Component::Transformer, reference->linear_layers(), reference->source());
    const Tensor base = reference->forward(in);
    ASSERT_GT(on_f32.apply({{&kohya, 0.8f}}, LoraMode::Online), 0u);
    const Tensor want = reference->forward(in);
    EXPECT_GT(test::rel_l2(want, base), 1e-4);  // the LoRA does something
    // Online, and "merged" too: plain merging leaves GGUF layers online (no re-quantizing).
    for (LoraMode mode : {LoraMode::Online, LoraMode::Merged}) {
      ASSERT_GT(on_gguf.apply({{&kohya, 0.8f}}, mode), 0u);
      EXPECT_LT(test::rel_l2(model->forward(in), want), 1e-5) << (mode == LoraMode::Online ? "online" : "merged");
    }
    // The layers are still the file's blocks.
    EXPECT_TRUE(model->weight_usage().count(type_name(type)));
  }
}

// "(merged LoRA)": the LoRA merged into the decoded weights and the layers encoded back into their
// own GGUF type, so the model stays as small as the file; the output is the LoRA's within that
// type's quantization error, and dropping the LoRA restores the file's own blocks exactly.
TEST(GgufFlux, RequantizedLoraStaysInTheGgufTypeAndRestoresExactly) {
  const std::string dir = test::temp_dir();
  const auto io = SafetensorsFile::open(test::fixture("flux_io.safetensors"));
  const flux::FluxInputs in = flux::read_flux_inputs(*io);
  // 32-element block types: the tiny model's LoRA targets are whole blocks of them.
  for (auto [type, tolerance] : {std::pair{GgmlType::Q8_0, 0.02}, std::pair{GgmlType::Q4_0, 0.1}}) {
    SCOPED_TRACE(type_name(type));
    const auto store = open_tensor_store(flux_gguf(type, dir));
    auto model = flux::FluxModel::load(store, {});
    auto reference = flux::FluxModel::load(dequantized_copy(*store, dir + "/deq.safetensors"), {});
    const lora::TargetResolver resolver(model->config());
    const lora::LoraSet kohya = lora::read_lora_file(test::fixture("flux_lora_kohya.safetensors"), resolver);
    lora::LoraPatcher on_gguf(lora::Component::Transformer, model->linear_layers(), model->source());
    lora::LoraPatcher on_f32(lora::Component::Transformer, reference->linear_layers(), reference->source());
    const Tensor base = model->forward(in);
    ASSERT_GT(on_f32.apply({{&kohya, 0.8f}}, LoraMode::Online), 0u);
    const Tensor want = reference->forward(in);
    uint64_t bytes_before = 0, bytes_after = 0;
    for (const auto& [dtype, u] : model->weight_usage()) bytes_before += u.bytes;
    ASSERT_GT(on_gguf.apply({{&kohya, 0.8f}}, LoraMode::Requantize), 0u);
    for (const auto& [name, layer] : model->linear_layers()) {
      EXPECT_TRUE(layer->online_deltas().empty()) << name;
      EXPECT_EQ(layer->weight().dtype(), store->dtype(name + ".weight")) << name;  // still the file's type
    }
    for (const auto& [dtype, u] : model->weight_usage()) bytes_after += u.bytes;
    EXPECT_EQ(bytes_after, bytes_before);
    const Tensor merged = model->forward(in);
    const double err = test::rel_l2(merged, want), effect = test::rel_l2(want, base);
    EXPECT_LT(err, tolerance) << "LoRA effect " << effect;
    EXPECT_GT(err, 1e-5);  // the merged layers really were encoded again (not kept in fp32)
    EXPECT_GT(test::rel_l2(merged, base), 0.5 * effect);  // and the LoRA is in them
    std::printf("GGUF %s: re-quantized LoRA vs exact %.2e (the LoRA's own effect %.2e)\n", type_name(type).c_str(), err,
                effect);
    ASSERT_EQ(on_gguf.apply({}, LoraMode::Requantize), 0u);
    EXPECT_EQ(test::max_abs_diff(model->forward(in), base), 0.0);
  }
}

// On a device (the stand-in of fake_device_backend.h, whose numerics are the CPU backend's) a GGUF
// FLUX keeps its layers as the file's blocks, resident or streamed in per block, the VRAM planner
// counts them at their size in the file, and the forward equals the CPU's.
TEST(GgufFlux, OnTheDeviceKeepsTheBlocksAndComputesTheCpuResult) {
  test::FakeDeviceBackend fake;
  register_backend(Device::CUDA, &fake);
  struct Unregister {
    ~Unregister() { register_backend(Device::CUDA, nullptr); }
  } unregister;
  const std::string dir = test::temp_dir();
  const auto io = SafetensorsFile::open(test::fixture("flux_io.safetensors"));
  const flux::FluxInputs in = flux::read_flux_inputs(*io);
  flux::FluxInputs on_device = in;
  on_device.img = fake.upload(in.img);
  on_device.txt = fake.upload(in.txt);
  on_device.y = fake.upload(in.y);
  for (GgmlType type : {GgmlType::Q8_0, GgmlType::Q4_K}) {
    SCOPED_TRACE(type_name(type));
    const auto store = open_tensor_store(flux_gguf(type, dir));
    const auto on_cpu = flux::FluxModel::load(store, {});
    const Tensor want = on_cpu->forward(in);
    EXPECT_EQ(flux_weight_sizes(*store, "", on_cpu->config(), std::nullopt, 64).total(), store->data_bytes());
    for (const bool stream : {false, true}) {
      std::shared_ptr<DeviceWeightStore> placed;
      flux::FluxLoadOptions opt;
      opt.place = [&](std::shared_ptr<const TensorStore> s, const std::string&, const flux::FluxConfig& c) {
        DeviceWeightStore::KeyFilter filter;
        if (stream) filter = [d = c.depth](const std::string& k) { return flux_block_index(k, d).has_value(); };
        placed = std::make_shared<DeviceWeightStore>(s, Device::CUDA, filter);
        return placed;
      };
      auto model = flux::FluxModel::load(store, opt);
      if (stream) {
        std::vector<size_t> all(model->block_count());
        for (size_t i = 0; i < all.size(); ++i) all[i] = i;
        model->set_block_hooks(std::make_shared<WeightStreamer>(*model, all, fake));
      } else {
        // Every tensor on the device as the file holds it: no expansion at load.
        EXPECT_EQ(placed->resident_bytes(), store->data_bytes());
      }
      const auto usage = model->weight_usage();
      EXPECT_TRUE(usage.count(type_name(type))) << model->describe_weight_usage();
      const Tensor got = model->forward(on_device);
      EXPECT_EQ(got.device(), Device::CUDA);
      const double err = test::rel_l2(ops::to_host(got), want);
      EXPECT_EQ(err, 0.0) << (stream ? "streamed" : "resident");  // the same CPU kernels on the same bytes
      std::printf("GGUF %s on the stand-in device (%s): forward vs CPU rel L2 %.2e\n", type_name(type).c_str(),
                  stream ? "streamed" : "resident", err);
    }
  }
}

TEST(GgufFlux, BrokenFilesAreRefusedNamingTheFileAndTheProblem) {
  const std::string dir = test::temp_dir();
  const std::string good = flux_gguf(GgmlType::Q8_0, dir);
  std::vector<uint8_t> bytes(fs::file_size(good));
  {
    std::ifstream f(good, std::ios::binary);
    f.read(reinterpret_cast<char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
  }
  // Truncated: the last tensor's data runs past the end.
  const std::string cut = dir + "/cut.gguf";
  test::write_bytes(cut, std::vector<uint8_t>(bytes.begin(), bytes.end() - 1));
  std::string e = test::error_of([&] { open_tensor_store(cut); });
  EXPECT_EQ(e.rfind(cut + ": truncated GGUF file", 0), 0u) << e;
  // Truncated in the header.
  test::write_bytes(cut, std::vector<uint8_t>(bytes.begin(), bytes.begin() + 100));
  e = test::error_of([&] { open_tensor_store(cut); });
  EXPECT_EQ(e.rfind(cut + ": truncated GGUF file", 0), 0u) << e;
  // An orig_shape that disagrees with the tensor's element count.
  const std::string odd = dir + "/odd.gguf";
  test::write_bytes(odd, test::make_gguf({{"img_in.weight", {64, 96}, 0, test::f32_bytes(std::vector<float>(64 * 96))}}, 3,
                                         "flux", {{}, {{"comfy.gguf.orig_shape.img_in.weight", {96, 65}}}}));
  e = test::error_of([&] { open_tensor_store(odd); });
  EXPECT_EQ(e.rfind(odd + ": metadata comfy.gguf.orig_shape.img_in.weight gives shape [96, 65]", 0), 0u) << e;
  // A FLUX tensor of the wrong shape: the model load names the file, the tensor and both shapes.
  const auto src = open_tensor_store(good);
  std::vector<test::FakeTensor> tensors;
  for (const auto& n : src->names()) {
    const Tensor t = to_f32(src->get(n));
    test::FakeTensor f{n, {}, 0, test::f32_bytes(to_vector(t))};
    for (int d = t.ndim() - 1; d >= 0; --d) f.ne.push_back(static_cast<uint64_t>(t.dim(d)));
    if (n == "double_blocks.0.img_attn.proj.weight") f = {n, {96 * 96}, 0, f.data};
    tensors.push_back(std::move(f));
  }
  const std::string wrong = dir + "/wrong.gguf";
  test::write_bytes(wrong, test::make_gguf(tensors, 3, "flux", {{{"config", src->metadata("config")}}, {}}));
  e = test::error_of([&] { flux::FluxModel::load(open_tensor_store(wrong), {}); });
  EXPECT_NE(e.find(wrong), std::string::npos) << e;
  EXPECT_NE(e.find("double_blocks.0.img_attn.proj.weight"), std::string::npos) << e;
}

TEST(GgufFlux, PrefixedFilesLoseTheirPrefixAndOrigShapeIsHonoured) {
  const std::string dir = test::temp_dir();
  const std::string path = dir + "/prefixed.gguf";
  test::write_bytes(path, test::make_gguf({{"model.diffusion_model.img_in.weight", {4, 6}, 0, test::f32_bytes(std::vector<float>(24, 1.0f))},
                                           {"first_stage_model.x", {2}, 0, test::f32_bytes({1, 2})}},
                                          3, "flux", {{}, {{"comfy.gguf.orig_shape.model.diffusion_model.img_in.weight", {2, 3, 4}}}}));
  const auto store = open_tensor_store(path);
  EXPECT_EQ(store->names(), std::vector<std::string>{"img_in.weight"});
  EXPECT_EQ(store->shape("img_in.weight"), (Shape{2, 3, 4}));
  EXPECT_EQ(store->get("img_in.weight").shape(), (Shape{2, 3, 4}));
  EXPECT_EQ(store->metadata("general.architecture"), "flux");
}

TEST(GgufFlux, InfoDescribesItAndDiscoveryFindsIt) {
  const std::string models = test::temp_dir();
  fs::create_directories(models + "/unet");
  const std::string path = flux_gguf(GgmlType::Q4_0, models + "/unet");
  const FileReport r = inspect_store(*open_tensor_store(path));
  ASSERT_EQ(r.components.size(), 1u);
  EXPECT_EQ(r.components[0].kind, ModelKind::FluxTransformer);
  EXPECT_EQ(r.architecture, "flux");
  EXPECT_GT(r.by_dtype.at("Q4_0").tensors, 0);
  EXPECT_GT(r.by_dtype.at("F32").tensors, 0);
  const std::string text = format_report(r);
  EXPECT_NE(text.find("GGUF architecture: flux"), std::string::npos) << text;
  EXPECT_NE(text.find("weights: Q4_0 (GGUF blocks"), std::string::npos) << text;
  for (const char* folder : {"unet", "diffusion_models", "Stable-diffusion"}) {
    const std::string root = test::temp_dir();
    fs::create_directories(root + "/" + folder);
    fs::copy_file(path, root + "/" + folder + "/flux1-dev-Q4_0.gguf");
    ModelRequest req;
    req.models_dir = root;
    // Only the transformer is asked about: the text encoders and VAE are not in this folder.
    try {
      const ModelFiles f = discover_models(req);
      EXPECT_EQ(fs::path(f.transformer).filename(), "flux1-dev-Q4_0.gguf") << folder;
      EXPECT_EQ(f.model_name, "flux1-dev-Q4_0") << folder;
    } catch (const Error& e) {
      // Discovery goes on to the VAE and text encoders; it must have got past the transformer.
      EXPECT_EQ(std::string(e.what()).find("FLUX transformer"), std::string::npos) << folder << ": " << e.what();
    }
  }
}

// A models folder like the tiny one, with the transformer as `checkpoint` (a file name) made by `make`.
std::string models_dir_with(const std::string& checkpoint, const std::function<void(const std::string&)>& make) {
  const std::string dir = test::temp_dir();
  for (const auto& e : fs::recursive_directory_iterator(test::tiny_models_dir())) {
    const fs::path rel = e.path().lexically_relative(test::tiny_models_dir());
    if (e.is_directory()) fs::create_directories(fs::path(dir) / rel);
    else if (rel.parent_path() != "Stable-diffusion") fs::create_symlink(fs::read_symlink(e.path()), fs::path(dir) / rel);
  }
  make(dir + "/Stable-diffusion/" + checkpoint);
  return dir;
}

TEST(GgufFlux, GeneratesAndTheInfotextNamesTheFile) {
  const auto src = open_tensor_store(test::fixture("flux_e2e.safetensors"));
  std::shared_ptr<TensorStore> gguf;
  const std::string gguf_dir = models_dir_with("flux1-dev-Q8_0.gguf", [&](const std::string& path) {
    EXPECT_GT(test::write_store_as_gguf(*src, path, GgmlType::Q8_0, {{{"config", src->metadata("config")}}, {}}), 0);
    gguf = open_tensor_store(path);
  });
  const std::string deq_dir = models_dir_with("flux1-dev-deq.safetensors", [&](const std::string& path) {
    dequantized_copy(*gguf, path);
  });
  const std::string request = R"({"prompt": "a cat", "width": 64, "height": 48, "steps": 2, "seed": 11})";
  test::TinyRun on_gguf({}, gguf_dir), on_deq({}, deq_dir);
  const auto a = on_gguf(request);
  const auto b = on_deq(request);
  ASSERT_EQ(a.images.size(), 1u);
  ASSERT_EQ(b.images.size(), 1u);
  EXPECT_NE(a.images[0].infotext.find("Model: flux1-dev-Q8_0"), std::string::npos) << a.images[0].infotext;
  // Same weights, same sampling: the images agree to within a rounding step.
  int worst = 0;
  for (size_t i = 0; i < a.images[0].image.pixels.size(); ++i)
    worst = std::max(worst, std::abs(int(a.images[0].image.pixels[i]) - int(b.images[0].image.pixels[i])));
  EXPECT_LE(worst, 1);
}

// llama.cpp's T5 names: t5_llama_name_map undone, last substitution first (for writing the fixture).
std::string llama_t5_name(const std::string& hf) {
  const auto& map = t5_llama_name_map();
  std::string out = hf;
  for (auto it = map.rbegin(); it != map.rend(); ++it)
    if (const size_t pos = out.find(it->second); pos != std::string::npos) out.replace(pos, it->second.size(), it->first);
  return out;
}

// The T5 fixture in llama.cpp's names as a Q8_0 GGUF (the token table included).
std::string t5_gguf_q8_0(const std::string& dir) {
  const auto src = open_tensor_store(test::fixture("t5xxl.safetensors"));
  MemoryStore renamed("t5 in llama.cpp names");
  for (const auto& n : src->names()) {
    if (n == "encoder.embed_tokens.weight") continue;  // llama.cpp keeps only the shared table
    EXPECT_EQ(t5_name_from_llama(llama_t5_name(n)), n);
    renamed.put(llama_t5_name(n), src->get(n));
  }
  const std::string path = dir + "/t5-v1_1-xxl-encoder-Q8_0.gguf";
  EXPECT_GT(test::write_store_as_gguf(renamed, path, GgmlType::Q8_0, {{{"config", src->metadata("config")}}, {}}, "t5encoder"), 0);
  return path;
}

TEST(GgufT5, LlamaCppNamesLoadAsTheHuggingFaceEncoder) {
  EXPECT_EQ(t5_name_from_llama("enc.blk.3.attn_q.weight"), "encoder.block.3.layer.0.SelfAttention.q.weight");
  EXPECT_EQ(t5_name_from_llama("enc.blk.0.attn_rel_b.weight"),
            "encoder.block.0.layer.0.SelfAttention.relative_attention_bias.weight");
  EXPECT_EQ(t5_name_from_llama("enc.blk.1.ffn_gate.weight"), "encoder.block.1.layer.1.DenseReluDense.wi_0.weight");
  EXPECT_EQ(t5_name_from_llama("enc.output_norm.weight"), "encoder.final_layer_norm.weight");
  EXPECT_EQ(t5_name_from_llama("token_embd.weight"), "shared.weight");

  const std::string dir = test::temp_dir();
  const auto store = open_tensor_store(t5_gguf_q8_0(dir));
  EXPECT_TRUE(store->contains("encoder.block.0.layer.0.SelfAttention.q.weight"));
  EXPECT_EQ(store->dtype("encoder.block.0.layer.0.SelfAttention.q.weight"), DType::Q8_0);
  const FileReport r = inspect_store(*store);
  ASSERT_EQ(r.components.size(), 1u);
  EXPECT_EQ(r.components[0].kind, ModelKind::T5Encoder);

  const auto ids = SafetensorsFile::open(test::fixture("t5_io.safetensors"))->get("in.input_ids");
  auto model = t5::T5Encoder::load(store);
  auto reference = t5::T5Encoder::load(dequantized_copy(*store, dir + "/t5-deq.safetensors"));
  EXPECT_LT(test::rel_l2(model->forward(ids), reference->forward(ids)), 1e-5);
}

// On the stand-in device the encoder's Q8_0 layers and its Q8_0 token table (the lookup decodes
// the rows it reads) stay as blocks and compute the CPU's output.
TEST(GgufT5, RunsOnTheDeviceWithItsTableInQ8_0) {
  test::FakeDeviceBackend fake;
  register_backend(Device::CUDA, &fake);
  struct Unregister {
    ~Unregister() { register_backend(Device::CUDA, nullptr); }
  } unregister;
  const auto store = open_tensor_store(t5_gguf_q8_0(test::temp_dir()));
  ASSERT_EQ(store->dtype("shared.weight"), DType::Q8_0);
  const auto placed = std::make_shared<DeviceWeightStore>(store, Device::CUDA);
  const auto ids = SafetensorsFile::open(test::fixture("t5_io.safetensors"))->get("in.input_ids");
  const Tensor want = t5::T5Encoder::load(store)->forward(ids);
  const Tensor got = t5::T5Encoder::load(placed)->forward(ids);
  EXPECT_EQ(got.device(), Device::CUDA);
  EXPECT_EQ(placed->get("shared.weight").dtype(), DType::Q8_0);
  EXPECT_EQ(test::rel_l2(ops::to_host(got), want), 0.0);
}

}  // namespace
}  // namespace fluxgen
