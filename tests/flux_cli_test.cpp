// The CLI contract for the transformer: eval flux / flux-sample with storage and LoRA options.
#include <gtest/gtest.h>

#include <fstream>

#include "io/safetensors.h"
#include "test_support.h"

namespace fluxgen {
namespace {

double output_error(const std::string& out, const std::string& name, const std::string& ref_file, const std::string& ref) {
  const auto o = SafetensorsFile::open(out);
  const auto r = SafetensorsFile::open(test::fixture(ref_file));
  return test::rel_l2(o->get(name), r->get(ref));
}

TEST(FluxCli, EvalFluxBothLayoutsAndLoraModes) {
  FLUXGEN_REQUIRE_CLI();
  const std::string out = test::temp_dir() + "/out.safetensors";
  const std::string io = test::fixture("flux_io.safetensors");
  for (const std::string weights : {"flux_bfl.safetensors", "flux_diffusers.safetensors"}) {
    auto r = test::run_fluxgen({"eval", "flux", "--weights", test::fixture(weights), "--storage", "fp32", "--inputs", io,
                                "--output", out});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_LT(output_error(out, "out.pred", "flux_io.safetensors", "out.pred"), 1e-4) << weights;
    EXPECT_NE(r.err.find("FLUX weights in memory"), std::string::npos);
    for (const std::string mode : {"merged", "online"}) {
      for (const auto& [lora, ref] : std::vector<std::pair<std::string, std::string>>{
               {"flux_lora_kohya.safetensors", "out.pred_lora_kohya"}, {"flux_lora_peft.safetensors", "out.pred_lora_peft"}}) {
        r = test::run_fluxgen({"eval", "flux", "--weights", test::fixture(weights), "--storage", "fp32", "--lora",
                               test::fixture(lora) + ":0.8", "--lora-mode", mode, "--inputs", io, "--output", out});
        ASSERT_EQ(r.exit_code, 0) << r.err;
        EXPECT_LT(output_error(out, "out.pred", "flux_io.safetensors", ref), 1e-4) << weights << " " << lora << " " << mode;
      }
    }
  }
}

TEST(FluxCli, ForgeStorageLabelsAreAccepted) {
  FLUXGEN_REQUIRE_CLI();
  const std::string out = test::temp_dir() + "/out.safetensors";
  for (const std::string label : {"bnb-nf4 (fp16 LoRA)", "float8-e4m3fn", "Automatic", "fp8-e5m2", "fp4"}) {
    auto r = test::run_fluxgen({"eval", "flux", "--weights", test::fixture("flux_bfl.safetensors"), "--storage", label,
                                "--lora", test::fixture("flux_lora_kohya.safetensors") + ":0.8", "--inputs",
                                test::fixture("flux_io.safetensors"), "--output", out});
    ASSERT_EQ(r.exit_code, 0) << label << ": " << r.err;
    EXPECT_LT(output_error(out, "out.pred", "flux_io.safetensors", "out.pred_lora_kohya"), 0.5) << label;
  }
  auto r = test::run_fluxgen({"eval", "flux", "--weights", test::fixture("flux_bfl.safetensors"), "--storage", "int3",
                              "--inputs", test::fixture("flux_io.safetensors"), "--output", out});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("unknown weight storage \"int3\""), std::string::npos) << r.err;
}

TEST(FluxCli, FluxSampleReproducesTheEulerLoop) {
  FLUXGEN_REQUIRE_CLI();
  const std::string out = test::temp_dir() + "/sample.safetensors";
  auto r = test::run_fluxgen({"eval", "flux-sample", "--weights", test::fixture("flux_bfl.safetensors"), "--storage",
                              "fp32", "--inputs", test::fixture("flux_io.safetensors"), "--output", out, "--steps", "4",
                              "--sampler", "Euler", "--scheduler", "bfl"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_LT(output_error(out, "out.schedule", "flux_io.safetensors", "out.schedule"), 1e-6);
  EXPECT_LT(output_error(out, "out.latent", "flux_io.safetensors", "out.latent"), 1e-4);
  EXPECT_LT(output_error(out, "out.latent_packed", "flux_io.safetensors", "out.latent_packed"), 1e-4);
}

TEST(FluxCli, BadFilesGiveOneLineErrorsAndNoOutput) {
  FLUXGEN_REQUIRE_CLI();
  const std::string dir = test::temp_dir();
  const std::string out = dir + "/out.safetensors";
  auto r = test::run_fluxgen({"eval", "flux", "--weights", dir + "/missing.safetensors", "--inputs",
                              test::fixture("flux_io.safetensors"), "--output", out});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("missing.safetensors: no such file"), std::string::npos) << r.err;
  r = test::run_fluxgen({"eval", "flux", "--weights", test::fixture("ae.safetensors"), "--inputs",
                         test::fixture("flux_io.safetensors"), "--output", out});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("no FLUX transformer found"), std::string::npos) << r.err;
  r = test::run_fluxgen({"eval", "flux", "--weights", test::fixture("flux_bfl.safetensors"), "--inputs",
                         test::fixture("ae_io.safetensors"), "--output", out});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("tensor in.img is missing"), std::string::npos) << r.err;
  r = test::run_fluxgen({"eval", "flux", "--weights", test::fixture("flux_bfl.safetensors"), "--lora",
                         test::fixture("ae.safetensors") + ":0.8", "--inputs", test::fixture("flux_io.safetensors"),
                         "--output", out});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("not usable as a FLUX LoRA"), std::string::npos) << r.err;
  EXPECT_FALSE(std::ifstream(out).good());
}

}  // namespace
}  // namespace fluxgen
