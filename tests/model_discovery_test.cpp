// Model discovery in Forge's and ComfyUI's folder layouts.
#include <gtest/gtest.h>

#include <filesystem>

#include "io/safetensors.h"
#include "pipeline/model_discovery.h"
#include "test_support.h"
#include "util/error.h"

namespace fluxgen {
namespace {

namespace fs = std::filesystem;

void link_fixture(const std::string& fixture, const fs::path& dest) {
  fs::create_directories(dest.parent_path());
  fs::create_symlink(fs::absolute(test::fixture(fixture)), dest);
}

TEST(ModelDiscovery, ForgeLayout) {
  const fs::path d = test::temp_dir();
  link_fixture("flux_e2e.safetensors", d / "Stable-diffusion" / "tiny-flux.safetensors");
  link_fixture("ae.safetensors", d / "VAE" / "ae.safetensors");
  link_fixture("clip_l.safetensors", d / "text_encoder" / "clip_l.safetensors");
  link_fixture("t5xxl.safetensors", d / "text_encoder" / "t5xxl_fp16.safetensors");
  link_fixture("flux_lora_kohya.safetensors", d / "Lora" / "me.safetensors");
  const ModelFiles f = discover_models({"", "", "", "", d.string()});
  EXPECT_EQ(fs::path(f.transformer).filename(), "tiny-flux.safetensors");
  EXPECT_EQ(fs::path(f.vae).filename(), "ae.safetensors");
  EXPECT_EQ(fs::path(f.clip).filename(), "clip_l.safetensors");
  EXPECT_EQ(fs::path(f.t5).filename(), "t5xxl_fp16.safetensors");
  EXPECT_EQ(f.model_name, "tiny-flux");
  // By name.
  EXPECT_EQ(fs::path(discover_models({"tiny-flux", "", "", "", d.string()}).transformer).filename(), "tiny-flux.safetensors");
  EXPECT_EQ(list_model_files(model_folders(d.string(), ModelFolder::Loras)).size(), 1u);
}

TEST(ModelDiscovery, ComfyLayoutWithOverrides) {
  const fs::path d = test::temp_dir();
  link_fixture("flux_e2e.safetensors", d / "diffusion_models" / "flux.safetensors");
  link_fixture("ae.safetensors", d / "vae" / "flux_vae.safetensors");
  link_fixture("clip_l.safetensors", d / "clip" / "clip_l.safetensors");
  link_fixture("t5xxl.safetensors", d / "text_encoders" / "t5xxl_fp8_e4m3fn.safetensors");
  const ModelFiles f = discover_models({"", "", "", "", d.string()});
  EXPECT_EQ(fs::path(f.vae).filename(), "flux_vae.safetensors");
  EXPECT_EQ(fs::path(f.t5).filename(), "t5xxl_fp8_e4m3fn.safetensors");
  // An explicit file wins; a wrong kind of file is refused with its name.
  const ModelFiles g = discover_models({"", test::fixture("ae.safetensors"), "", "", d.string()});
  EXPECT_EQ(g.vae, test::fixture("ae.safetensors"));
  try {
    discover_models({"", test::fixture("clip_l.safetensors"), "", "", d.string()});
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("clip_l.safetensors: not a FLUX autoencoder"), std::string::npos) << e.what();
  }
}

TEST(ModelDiscovery, MissingComponentSaysWhatAndWhere) {
  const fs::path d = test::temp_dir();
  link_fixture("flux_e2e.safetensors", d / "unet" / "flux.safetensors");
  link_fixture("ae.safetensors", d / "vae" / "ae.safetensors");
  link_fixture("clip_l.safetensors", d / "clip" / "clip_l.safetensors");
  try {
    discover_models({"", "", "", "", d.string()});
    FAIL() << "expected an error";
  } catch (const Error& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find("T5-XXL"), std::string::npos) << msg;
    EXPECT_NE(msg.find("t5xxl_fp16.safetensors"), std::string::npos) << msg;
    EXPECT_NE(msg.find((d / "text_encoders").string()), std::string::npos) << msg;
  }
  try {
    discover_models({test::fixture("ae.safetensors"), "", "", "", d.string()});
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("not a FLUX transformer"), std::string::npos) << e.what();
  }
  EXPECT_THROW(discover_models({"no-such-model", "", "", "", d.string()}), Error);
}

TEST(ModelDiscovery, AllInOneCheckpointProvidesEveryComponent) {
  const fs::path d = test::temp_dir();
  std::vector<std::pair<std::string, Tensor>> tensors;
  for (const auto& [file, prefix] : std::vector<std::pair<std::string, std::string>>{
           {"flux_e2e.safetensors", "model.diffusion_model."},
           {"ae.safetensors", "vae."},
           {"clip_l.safetensors", "text_encoders.clip_l.transformer."},
           {"t5xxl.safetensors", "text_encoders.t5xxl.transformer."}}) {
    const auto f = SafetensorsFile::open(test::fixture(file));
    for (const auto& e : f->entries()) tensors.emplace_back(prefix + e.name, f->get(e.name));
  }
  fs::create_directories(d / "Stable-diffusion");
  write_safetensors((d / "Stable-diffusion" / "aio.safetensors").string(), tensors);
  const ModelFiles f = discover_models({"aio", "", "", "", d.string()});
  EXPECT_EQ(f.transformer, f.vae);
  EXPECT_EQ(f.transformer, f.clip);
  EXPECT_EQ(f.transformer, f.t5);
}

}  // namespace
}  // namespace fluxgen
