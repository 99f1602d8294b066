// `fluxgen info`: every fixture weight file classified with its key configuration facts, plus files
// synthesized here in the layouts the fixtures lack (all-in-one checkpoint, fp8 FLUX, Forge's
// bitsandbytes NF4 files with and without double quantization), errors as one line, and a
// header-only read of a 1 GiB sparse file.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <cstring>
#include <fstream>
#include <functional>
#include <map>
#include <numeric>
#include <string>
#include <vector>

#include "io/json.h"
#include "io/safetensors.h"
#include "io/tensor_store.h"
#include "models/checkpoint_inspector.h"
#include "tensor/bnb4.h"
#include "tensor/convert.h"
#include "test_support.h"
#include "util/error.h"
#include "util/strings.h"

namespace fluxgen {
namespace {

using test::fixture;
using test::run_fluxgen;
using Named = std::vector<std::pair<std::string, Tensor>>;

bool has(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

// Runs `fluxgen info` on one file, expecting success, and returns stdout.
std::string info(const std::string& path) {
  const auto r = run_fluxgen({"info", path});
  EXPECT_EQ(r.exit_code, 0) << path << "\n" << r.err;
  EXPECT_EQ(r.err, "") << path;
  return r.out;
}

void expect_all(const std::string& out, const std::vector<std::string>& parts) {
  for (const auto& p : parts) EXPECT_TRUE(has(out, p)) << "\"" << p << "\" missing from:\n" << out;
}

// Every tensor of a fixture, renamed with a prefix. The views keep their file mapped.
Named tensors_of(const std::string& file, const std::string& prefix = "") {
  const auto f = SafetensorsFile::open(file);
  Named out;
  for (const auto& e : f->entries()) out.emplace_back(prefix + e.name, f->get(e.name));
  return out;
}

int count_lines(const std::string& s) { return static_cast<int>(std::count(s.begin(), s.end(), '\n')); }

// --------------------------------------------------------------------------------------------
// The fixtures

TEST(InfoFixtures, FluxTransformerInBothLayouts) {
  FLUXGEN_REQUIRE_CLI();
  const std::vector<std::string> common = {"double blocks: 2\n", "single blocks: 2\n", "hidden size: 96\n",
                                           "heads: 3 x 32 (head dim from the QK-norm length)",
                                           "guidance embedding: yes", "in/out channels: 64/64", "context dim: 48",
                                           "pooled vector dim: 32", "axes_dim: [8, 12, 12]", "weights: BF16"};
  const std::string bfl = info(fixture("flux_bfl.safetensors"));
  expect_all(bfl, common);
  expect_all(bfl, {"84 tensors", "FLUX transformer, BFL layout\n", "dtypes: BF16 84"});
  const std::string diffusers = info(fixture("flux_diffusers.safetensors"));
  expect_all(diffusers, common);
  expect_all(diffusers, {"112 tensors", "FLUX transformer, diffusers layout\n"});
  expect_all(info(fixture("flux_e2e.safetensors")),
             {"FLUX transformer, BFL layout", "double blocks: 1\n", "single blocks: 1\n", "hidden size: 64\n",
              "heads: 2 x 32", "context dim: 32"});
}

TEST(InfoFixtures, AutoencoderTextEncodersUpscalersTaef1) {
  FLUXGEN_REQUIRE_CLI();
  expect_all(info(fixture("ae.safetensors")),
             {"120 tensors", "FLUX autoencoder, BFL layout", "latent channels: 16", "base channels: 32",
              "channel multipliers: [1, 2]", "downsampling factor: 2"});
  expect_all(info(fixture("clip_l.safetensors")),
             {"36 tensors", "dtypes: F16 36", "CLIP text encoder, transformers layout", "vocabulary: 49408",
              "hidden size: 32", "layers: 2"});
  expect_all(info(fixture("t5xxl.safetensors")),
             {"T5 encoder, transformers layout", "vocabulary: 32128", "d_model: 32", "layers: 2", "heads: 4",
              "feed-forward: gated-gelu (T5 v1.1)"});
  expect_all(info(fixture("esrgan.safetensors")),
             {"ESRGAN upscaler (RRDBNet), original ESRGAN (model.N) layout", "features: 16", "growth channels: 8",
              "RRDB blocks: 2"});
  const std::string enc = info(fixture("real/taef1_encoder.safetensors"));
  expect_all(enc, {"TAESD/TAEF1 encoder"});
  EXPECT_FALSE(has(enc, "decoder"));
  expect_all(info(fixture("real/taef1_decoder.safetensors")), {"TAESD/TAEF1 decoder", "latent channels: 16"});
}

TEST(InfoFixtures, LoraNamings) {
  FLUXGEN_REQUIRE_CLI();
  expect_all(info(fixture("flux_lora_kohya.safetensors")), {"78 tensors", "LoRA, kohya/sd-scripts layout", "modules: 26"});
  expect_all(info(fixture("flux_lora_peft.safetensors")), {"80 tensors", "LoRA, diffusers/PEFT layout", "modules: 40"});
}

TEST(InfoFixtures, DataFilesAreNotModelsAndSeveralFilesGoInOneCall) {
  FLUXGEN_REQUIRE_CLI();
  for (const char* f : {"flux_io.safetensors", "ae_io.safetensors", "clip_io.safetensors", "t5_io.safetensors",
                        "torch_randn.safetensors"})
    expect_all(info(fixture(f)), {"contents: not recognised"});
  const auto r = run_fluxgen({"info", fixture("ae.safetensors"), fixture("clip_l.safetensors")});
  EXPECT_EQ(r.exit_code, 0);
  expect_all(r.out, {"FLUX autoencoder", "CLIP text encoder"});
}

// --------------------------------------------------------------------------------------------
// Synthesized layouts

class InfoSynthesized : public ::testing::Test {
 protected:
  std::string dir = test::temp_dir();
};

TEST_F(InfoSynthesized, AllInOneCheckpoint) {
  FLUXGEN_REQUIRE_CLI();
  Named all = tensors_of(fixture("flux_bfl.safetensors"), "model.diffusion_model.");
  for (const auto& [file, prefix] : std::vector<std::pair<std::string, std::string>>{
           {"ae.safetensors", "vae."},
           {"clip_l.safetensors", "text_encoders.clip_l.transformer."},
           {"t5xxl.safetensors", "text_encoders.t5xxl.transformer."}}) {
    Named part = tensors_of(fixture(file), prefix);
    all.insert(all.end(), part.begin(), part.end());
  }
  const std::string p = dir + "/flux1-dev-all-in-one.safetensors";
  write_safetensors(p, all);
  const std::string out = info(p);
  expect_all(out, {std::to_string(all.size()) + " tensors",
                   "FLUX transformer, BFL, all-in-one checkpoint layout, prefix \"model.diffusion_model.\"",
                   "double blocks: 2", "hidden size: 96", "heads: 3 x 32", "guidance embedding: yes",
                   "FLUX autoencoder, BFL layout, prefix \"vae.\"", "latent channels: 16",
                   "CLIP text encoder, transformers layout, prefix \"text_encoders.clip_l.transformer.\"",
                   "T5 encoder, transformers layout, prefix \"text_encoders.t5xxl.transformer.\""});
}

TEST_F(InfoSynthesized, Fp8FluxAndSchnellStyle) {
  FLUXGEN_REQUIRE_CLI();
  Named fp8;
  for (auto& [name, t] : tensors_of(fixture("flux_bfl.safetensors"))) {
    // Like the public fp8 checkpoints: no guidance embedding would make it schnell-style.
    if (starts_with(name, "guidance_in.")) continue;
    fp8.emplace_back(name, t.ndim() == 2 ? convert(t, DType::F8_E4M3, Overflow::Saturate) : t);
  }
  const std::string p = dir + "/flux-fp8.safetensors";
  write_safetensors(p, fp8);
  expect_all(info(p), {"F8_E4M3 ", "FLUX transformer, BFL layout", "weights: F8_E4M3 (float8)", "double blocks: 2",
                       "guidance embedding: no (FLUX.1-schnell style)"});
}

// A Forge/bitsandbytes NF4 checkpoint built the way bnb's QuantState.as_dict(packed=True) stores
// each quantized Linear weight W: W (U8 packed codes, [n/2, 1]), W.absmax, W.quant_map and
// W.quant_state.bitsandbytes__nf4 (JSON bytes); with double quantization (Forge's v1 files) the
// absmax is U8 codes plus W.nested_absmax, W.nested_quant_map and nested_* JSON fields.
struct BnbFile {
  std::string path;
  size_t original_tensor_count = 0;
  std::map<std::string, std::vector<float>> expected;  // W -> the values its quant state encodes
  std::map<std::string, Shape> shapes;
};

Tensor json_bytes(const json::Value& v) {
  const std::string s = v.dump();
  Tensor t = Tensor::empty({static_cast<int64_t>(s.size())}, DType::U8);
  std::memcpy(t.raw_data(), s.data(), s.size());
  return t;
}

BnbFile write_bnb_flux(const std::string& path, bool double_quant, const std::function<void(json::Value&)>& edit_state = {}) {
  BnbFile f;
  f.path = path;
  Named out;
  const std::string prefix = "model.diffusion_model.";
  const auto& code4 = bnb::code_table(DType::NF4);
  std::vector<float> nested_map(256);  // any ascending signed map serves; bnb uses its dynamic map
  for (int i = 0; i < 256; ++i) nested_map[i] = -1.0f + 2.0f * static_cast<float>(i) / 255.0f;
  for (auto& [name, t] : tensors_of(fixture("flux_bfl.safetensors"))) {
    ++f.original_tensor_count;
    const std::string key = prefix + name;
    if (t.ndim() != 2 || !ends_with(name, ".weight")) {
      out.emplace_back(key, t);
      continue;
    }
    const Tensor q = convert(t, DType::NF4);
    const int64_t n = t.numel(), blocks = q.absmax().numel();
    Tensor packed = Tensor::empty({(n + 1) / 2, 1}, DType::U8);
    std::memcpy(packed.raw_data(), q.raw_data(), packed.nbytes());
    out.emplace_back(key, packed);
    json::Value state = json::Value::object();
    state["quant_type"] = "nf4";
    state["blocksize"] = 64;
    state["dtype"] = "bfloat16";
    state["shape"] = json::Value(json::Array{t.dim(0), t.dim(1)});
    std::vector<float> absmax(q.absmax().f32(), q.absmax().f32() + blocks);
    if (double_quant) {
      const float offset = static_cast<float>(std::accumulate(absmax.begin(), absmax.end(), 0.0) / blocks);
      const int64_t groups = (blocks + 255) / 256;
      Tensor nested = Tensor::zeros({groups});
      for (int64_t i = 0; i < blocks; ++i)
        nested.f32()[i / 256] = std::max(nested.f32()[i / 256], std::fabs(absmax[i] - offset));
      Tensor codes = Tensor::empty({blocks}, DType::U8);
      for (int64_t i = 0; i < blocks; ++i) {
        const float x = (absmax[i] - offset) / nested.f32()[i / 256];
        codes.data<uint8_t>()[i] = static_cast<uint8_t>(std::lround((x + 1.0f) * 127.5f));
        absmax[i] = nested_map[codes.data<uint8_t>()[i]] * nested.f32()[i / 256] + offset;  // what it decodes to
      }
      out.emplace_back(key + ".absmax", codes);
      out.emplace_back(key + ".nested_absmax", nested);
      out.emplace_back(key + ".nested_quant_map", Tensor::from_vector({256}, nested_map));
      state["nested_blocksize"] = 256;
      state["nested_dtype"] = "float32";
      state["nested_offset"] = static_cast<double>(offset);
    } else {
      out.emplace_back(key + ".absmax", q.absmax());
    }
    out.emplace_back(key + ".quant_map", Tensor::from_vector({16}, std::vector<float>(code4.begin(), code4.end())));
    if (edit_state) edit_state(state);
    out.emplace_back(key + ".quant_state.bitsandbytes__nf4", json_bytes(state));
    std::vector<float> values(static_cast<size_t>(n));
    for (int64_t i = 0; i < n; ++i) {
      const uint8_t byte = q.data<uint8_t>()[i / 2];
      values[i] = code4[i % 2 == 0 ? byte >> 4 : byte & 0x0F] * absmax[i / 64];
    }
    f.expected[key] = std::move(values);
    f.shapes[key] = t.shape();
  }
  write_safetensors(path, out);
  return f;
}

void expect_store_yields_exact_nf4(const BnbFile& f) {
  const auto store = open_tensor_store(f.path);
  EXPECT_EQ(store->names().size(), f.original_tensor_count) << "companion tensors are hidden";
  for (const auto& n : store->names()) EXPECT_FALSE(has(n, ".absmax") || has(n, ".quant_")) << n;
  ASSERT_FALSE(f.expected.empty());
  for (const auto& [key, values] : f.expected) {
    ASSERT_TRUE(store->contains(key));
    EXPECT_FALSE(store->contains(key + ".absmax"));
    EXPECT_EQ(store->dtype(key), DType::NF4);
    EXPECT_EQ(store->shape(key), f.shapes.at(key));
    const Tensor t = store->get(key);
    ASSERT_EQ(t.dtype(), DType::NF4);
    ASSERT_EQ(t.shape(), f.shapes.at(key));
    EXPECT_EQ(to_vector(t), values) << key;
  }
}

TEST_F(InfoSynthesized, ForgeBnbNf4V2) {
  const BnbFile f = write_bnb_flux(dir + "/flux1-dev-bnb-nf4-v2.safetensors", false);
  expect_store_yields_exact_nf4(f);
  FLUXGEN_REQUIRE_CLI();
  const std::string out = info(f.path);
  expect_all(out, {std::to_string(f.original_tensor_count) + " tensors", "NF4 " + std::to_string(f.expected.size()),
                   "FLUX transformer, BFL, all-in-one checkpoint layout",
                   "weights: NF4 (bitsandbytes pre-quantized, used as is)", "double blocks: 2", "single blocks: 2",
                   "hidden size: 96", "heads: 3 x 32", "guidance embedding: yes"});
}

TEST_F(InfoSynthesized, ForgeBnbNf4V1DoubleQuantized) {
  const BnbFile f = write_bnb_flux(dir + "/flux1-dev-bnb-nf4.safetensors", true);
  expect_store_yields_exact_nf4(f);
  FLUXGEN_REQUIRE_CLI();
  expect_all(info(f.path), {"weights: NF4 (bitsandbytes pre-quantized, used as is)", "hidden size: 96"});
}

TEST_F(InfoSynthesized, BnbQuantStateErrorsNameTheTensor) {
  const auto error_reading = [](const std::string& path) -> std::string {
    try {
      const auto store = open_tensor_store(path);
      for (const auto& n : store->names()) (void)store->get(n);
    } catch (const Error& e) {
      return e.what();
    }
    return "";
  };
  // Double quantization without the offset bnb's from_dict requires.
  write_bnb_flux(dir + "/no_offset.safetensors", true, [](json::Value& s) {
    json::Object kept;
    for (auto& kv : s.as_object())
      if (kv.first != "nested_offset") kept.push_back(kv);
    s = json::Value(kept);
  });
  std::string msg = error_reading(dir + "/no_offset.safetensors");
  EXPECT_TRUE(has(msg, dir + "/no_offset.safetensors: tensor model.diffusion_model.")) << msg;
  EXPECT_TRUE(has(msg, ".quant_state.bitsandbytes__nf4: double-quantized absmax needs a number \"nested_offset\"")) << msg;
  write_bnb_flux(dir + "/bad_block.safetensors", false, [](json::Value& s) { s["blocksize"] = 3; });
  msg = error_reading(dir + "/bad_block.safetensors");
  EXPECT_TRUE(has(msg, "bad bitsandbytes quant state")) << msg;
  EXPECT_TRUE(has(msg, "blocksize 3 is invalid")) << msg;
  write_bnb_flux(dir + "/bad_shape.safetensors", false, [](json::Value& s) { s["shape"] = json::Value(json::Array{96, 9999}); });
  msg = error_reading(dir + "/bad_shape.safetensors");
  EXPECT_TRUE(has(msg, "too small for NF4[96, 9999]") || has(msg, "blocks expected")) << msg;
  write_bnb_flux(dir + "/bad_type.safetensors", false, [](json::Value& s) { s["quant_type"] = "fp4"; });
  msg = error_reading(dir + "/bad_type.safetensors");
  EXPECT_TRUE(has(msg, "quant_type \"fp4\" disagrees with the key")) << msg;
}

// --------------------------------------------------------------------------------------------
// Errors and scale

TEST_F(InfoSynthesized, MissingAndCorruptFilesFailWithOneLine) {
  FLUXGEN_REQUIRE_CLI();
  const std::string missing = dir + "/missing.safetensors";
  auto r = run_fluxgen({"info", missing});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.out, "");
  EXPECT_EQ(r.err, "fluxgen: error: " + missing + ": no such file\n");
  const std::string corrupt = dir + "/corrupt.safetensors";
  std::ofstream(corrupt, std::ios::binary) << std::string("\x10\x00\x00\x00\x00\x00\x00\x00{\"a\": [1, 2", 19);
  r = run_fluxgen({"info", corrupt});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(count_lines(r.err), 1) << r.err;
  EXPECT_TRUE(has(r.err, "fluxgen: error: " + corrupt + ": ")) << r.err;
  const std::string text = dir + "/notes.txt";
  std::ofstream(text) << "hello";
  r = run_fluxgen({"info", text});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(count_lines(r.err), 1) << r.err;
  // With several files, the good ones are still described and a summary line follows.
  r = run_fluxgen({"info", fixture("ae.safetensors"), missing});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_TRUE(has(r.out, "FLUX autoencoder"));
  EXPECT_TRUE(has(r.err, missing + ": no such file"));
  EXPECT_TRUE(has(r.err, "1 of 2 files could not be read"));
}

TEST_F(InfoSynthesized, HostileShapesAreErrorsNotCrashes) {
  FLUXGEN_REQUIRE_CLI();
  // A "FLUX" file whose img_in.weight has one dimension.
  const std::string flux = dir + "/flat_flux.safetensors";
  write_safetensors(flux, {{"img_in.weight", Tensor::zeros({96})}, {"final_layer.linear.weight", Tensor::zeros({64, 96})}});
  auto r = run_fluxgen({"info", flux});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err, "fluxgen: error: " + flux + ": tensors named like a FLUX transformer have too few dimensions for one\n");
  // A VAE whose encoder has zero base channels (used to divide by zero).
  const std::string vae = dir + "/zero_vae.safetensors";
  write_safetensors(vae, {{"decoder.conv_in.weight", Tensor::zeros({4, 16, 3, 3})},
                          {"encoder.conv_in.weight", Tensor::zeros({0, 3, 3, 3})},
                          {"encoder.down.0.block.0.conv1.weight", Tensor::zeros({4, 1})},
                          {"encoder.down.0.block.0.conv2.weight", Tensor::zeros({4, 1})}});
  r = run_fluxgen({"info", vae});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  expect_all(r.out, {"FLUX autoencoder", "base channels: 0"});
  // Both together: the bad one does not stop the good one from being described.
  r = run_fluxgen({"info", flux, vae});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_TRUE(has(r.out, "FLUX autoencoder"));
}

TEST_F(InfoSynthesized, OneGiBSparseFileReadsOnlyTheHeader) {
  FLUXGEN_REQUIRE_CLI();
  const std::string p = dir + "/huge.safetensors";
  const int64_t rows = 32768, cols = 16384;  // BF16: exactly 1 GiB
  std::string header = R"({"model.diffusion_model.double_blocks.0.img_mlp.0.weight":{"dtype":"BF16","shape":[)" +
                       std::to_string(rows) + "," + std::to_string(cols) + R"(],"data_offsets":[0,)" +
                       std::to_string(rows * cols * 2) + "]}}";
  header.append((8 - header.size() % 8) % 8, ' ');
  {
    std::ofstream out(p, std::ios::binary);
    const uint64_t len = header.size();
    for (int i = 0; i < 8; ++i) out.put(static_cast<char>((len >> (8 * i)) & 0xFF));
    out << header;
  }
  std::filesystem::resize_file(p, 8 + header.size() + static_cast<uint64_t>(rows * cols * 2));
  const auto start = std::chrono::steady_clock::now();
  const std::string out = info(p);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  expect_all(out, {"1 tensors, 1.00 GiB", "BF16 1 (1.00 GiB)"});
  EXPECT_LT(seconds, 5.0) << "reading 1 GiB would take longer than a header";
  // Truncated by one byte, the same header is refused.
  std::filesystem::resize_file(p, 8 + header.size() + static_cast<uint64_t>(rows * cols * 2) - 1);
  const auto r = run_fluxgen({"info", p});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_TRUE(has(r.err, "run past the end of the data")) << r.err;
}

// --------------------------------------------------------------------------------------------
// Layouts with no fixture file, inspected in memory.

FileReport inspect(std::map<std::string, Tensor> tensors) {
  MemoryStore store("mem", std::move(tensors));
  return inspect_store(store);
}

TEST(InfoInMemory, BasicsrEsrganCompactUpscalerAndLoraVariants) {
  std::map<std::string, Tensor> basicsr = {{"conv_first.weight", Tensor::zeros({16, 3, 3, 3})},
                                           {"body.0.rdb1.conv1.weight", Tensor::zeros({8, 16, 3, 3})},
                                           {"body.1.rdb1.conv1.weight", Tensor::zeros({8, 16, 3, 3})},
                                           {"body.2.rdb1.conv1.weight", Tensor::zeros({8, 16, 3, 3})}};
  std::string text = format_report(inspect(basicsr));
  expect_all(text, {"ESRGAN upscaler (RRDBNet), BasicSR/Real-ESRGAN", "features: 16", "growth channels: 8", "RRDB blocks: 3"});
  std::map<std::string, Tensor> compact = {{"body.0.weight", Tensor::zeros({64, 3, 3, 3})},
                                           {"body.1.weight", Tensor::zeros({64})},
                                           {"body.2.weight", Tensor::zeros({64, 64, 3, 3})}};
  expect_all(format_report(inspect(compact)), {"Real-ESRGAN compact upscaler (SRVGGNetCompact)", "features: 64"});
  std::map<std::string, Tensor> bfl_lora = {
      {"diffusion_model.double_blocks.0.img_attn.qkv.lora_A.weight", Tensor::zeros({4, 96})},
      {"diffusion_model.double_blocks.0.img_attn.qkv.lora_B.weight", Tensor::zeros({288, 4})}};
  expect_all(format_report(inspect(bfl_lora)), {"LoRA, BFL/ComfyUI layout", "modules: 1"});
  std::map<std::string, Tensor> lokr = {{"lora_unet_double_blocks_0_img_attn_qkv.lokr_w1", Tensor::zeros({4, 4})}};
  expect_all(format_report(inspect(lokr)), {"LoRA", "unsupported kinds: LoKr"});
  const FileReport r = inspect(basicsr);
  EXPECT_EQ(r.tensor_count, 4);
  EXPECT_EQ(r.data_bytes, (16 * 27 + 3 * 8 * 144) * 4u);
  ASSERT_EQ(r.components.size(), 1u);
  EXPECT_EQ(r.components[0].kind, ModelKind::Esrgan);
  EXPECT_EQ(format_report(inspect({{"x", Tensor::zeros({2})}})).find("not recognised") != std::string::npos, true);
}

}  // namespace
}  // namespace fluxgen
