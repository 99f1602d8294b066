// `fluxgen eval randn` end to end: the written tensor against torch's, and every refused input.
#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "io/safetensors.h"
#include "tensor/convert.h"
#include "test_support.h"

namespace fluxgen {
namespace {

using test::run_fluxgen;

Tensor read_noise(const std::string& path) { return SafetensorsFile::open(path)->get("out.noise"); }

TEST(SamplingCli, RandnWritesTorchNoise) {
  FLUXGEN_REQUIRE_CLI();
  const auto fixture = SafetensorsFile::open(test::fixture("torch_randn.safetensors"));
  const std::string dir = test::temp_dir();
  for (const char* source : {"cpu", "cuda"}) {
    const std::string out = dir + "/" + source + ".safetensors";
    const auto r = run_fluxgen({"eval", "randn", "--seed", "42", "--shape", "1,16,8,12", "--source", source,
                                "--output", out});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const Tensor got = read_noise(out);
    EXPECT_EQ(got.shape(), (Shape{1, 16, 8, 12}));
    const Tensor ref = fixture->get(std::string(source) + ".42");
    if (std::string(source) == "cpu")
      EXPECT_EQ(test::max_abs_diff(got, ref), 0.0);
    else
      EXPECT_LT(test::max_abs_diff(got, ref), 1.25e-6);
  }
  // The GPU geometry flags are accepted (and do not matter at this size).
  const std::string out = dir + "/h100.safetensors";
  const auto r = run_fluxgen({"eval", "randn", "--seed", "42", "--shape", "1,16,8,12", "--source", "CUDA",
                              "--cuda-sms", "132", "--cuda-threads-per-sm", "2048", "--output", out});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_LT(test::max_abs_diff(read_noise(out), fixture->get("cuda.42")), 1.25e-6);
}

TEST(SamplingCli, RandnHelpNamesTheOutputTensor) {
  FLUXGEN_REQUIRE_CLI();
  const auto r = run_fluxgen({"eval", "randn", "--help"});
  EXPECT_EQ(r.exit_code, 0);
  for (const char* s : {"out.noise", "--seed", "--shape", "--source", "--output", "--cuda-sms"})
    EXPECT_NE(r.out.find(s), std::string::npos) << s;
}

TEST(SamplingCli, RandnRefusesBadInput) {
  FLUXGEN_REQUIRE_CLI();
  const std::string dir = test::temp_dir();
  const std::string out = dir + "/never.safetensors";
  struct Case {
    std::vector<std::string> args;
    std::string message;
  };
  const std::vector<Case> cases = {
      {{"--seed", "1", "--shape", "1,x,4"}, "'x' is not an integer"},
      {{"--seed", "1", "--shape", "1,0,4"}, "must be a positive integer"},
      {{"--seed", "1", "--shape", "2,-3"}, "must be a positive integer"},
      {{"--seed", "1", "--shape", "1,,4"}, "is not an integer"},
      {{"--seed", "1", "--shape", ""}, "is not an integer"},
      {{"--seed", "1", "--shape", "65536,65536"}, "more than 2147483647 elements"},
      {{"--seed", "1", "--shape", "99999999999999999999"}, "is too large"},
      {{"--seed", "1", "--shape", "1,2,3,4,5,6,7,8,9"}, "at most 8 dimensions"},
      {{"--seed", "-1", "--shape", "4"}, "--seed '-1'"},
      {{"--seed", "abc", "--shape", "4"}, "--seed 'abc'"},
      {{"--seed", "18446744073709551616", "--shape", "4"}, "below 2^64"},
      {{"--seed", "1", "--shape", "4", "--source", "nv"}, "valid names are cpu, cuda"},
      {{"--seed", "1", "--shape", "4", "--source", "cuda", "--cuda-sms", "0"}, "multiprocessor count"},
  };
  for (const auto& c : cases) {
    std::vector<std::string> args = {"eval", "randn", "--output", out};
    args.insert(args.end(), c.args.begin(), c.args.end());
    const auto r = run_fluxgen(args);
    EXPECT_EQ(r.exit_code, 1) << c.message;
    EXPECT_NE(r.err.find(c.message), std::string::npos) << r.err;
    EXPECT_FALSE(std::filesystem::exists(out)) << c.message;
  }
  // A missing required flag is CLI11's usage error.
  EXPECT_NE(run_fluxgen({"eval", "randn", "--shape", "4", "--output", out}).exit_code, 0);
}

}  // namespace
}  // namespace fluxgen
