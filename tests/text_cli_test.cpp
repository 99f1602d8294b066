// The text commands of the CLI contract: `fluxgen tokenize` and `fluxgen eval clip|t5`, and how
// fluxgen finds its shipped tokenizer files.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "io/safetensors.h"
#include "text/clip_tokenizer.h"
#include "token_fixture.h"
#include "util/data_files.h"
#include "util/error.h"

namespace fluxgen {
namespace {

std::string ids_line(const std::vector<int32_t>& ids) {
  std::string s;
  for (size_t i = 0; i < ids.size(); ++i) {
    if (i) s += ' ';
    s += std::to_string(ids[i]);
  }
  return s + "\n";
}

TEST(TokenizeCommand, PrintsTheGoldenIds) {
  FLUXGEN_REQUIRE_CLI();
  const auto rows = test::token_rows();
  for (size_t i : {size_t(1), size_t(5), size_t(7)}) {
    const auto& row = rows.at(i);
    auto r = test::run_fluxgen({"tokenize", "--tokenizer", "clip", row.prompt});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.out, ids_line(row.clip_77));
    r = test::run_fluxgen({"tokenize", "--tokenizer", "t5", row.prompt});
    EXPECT_EQ(r.out, ids_line(row.t5_512));
    r = test::run_fluxgen({"tokenize", "--tokenizer", "t5", "--raw", row.prompt});
    EXPECT_EQ(r.out, ids_line(row.t5_raw));
    r = test::run_fluxgen({"tokenize", "--tokenizer", "clip", "--raw", "--vocab",
                           std::string(FLUXGEN_DATA_DIR) + "/tokenizers/clip", row.prompt});
    EXPECT_EQ(r.out, ids_line(row.clip_raw));
  }
}

TEST(TokenizeCommand, ReportsBadArguments) {
  FLUXGEN_REQUIRE_CLI();
  auto r = test::run_fluxgen({"tokenize", "--tokenizer", "clip", "--vocab", "/nonexistent/vocab", "x"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("/nonexistent/vocab"), std::string::npos) << r.err;
  r = test::run_fluxgen({"tokenize", "--tokenizer", "bert", "x"});
  EXPECT_NE(r.exit_code, 0);
  r = test::run_fluxgen({"tokenize", "--tokenizer", "t5"});
  EXPECT_NE(r.exit_code, 0);
}

TEST(EvalTextEncoders, ClipAndT5MatchTheFixtures) {
  FLUXGEN_REQUIRE_CLI();
  const std::string dir = test::temp_dir();
  auto r = test::run_fluxgen({"eval", "clip", "--weights", test::fixture("clip_l.safetensors"), "--inputs",
                              test::fixture("clip_io.safetensors"), "--output", dir + "/clip.safetensors"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto clip_ref = SafetensorsFile::open(test::fixture("clip_io.safetensors"));
  const auto clip_out = SafetensorsFile::open(dir + "/clip.safetensors");
  for (const char* name : {"out.last_hidden_state", "out.penultimate", "out.pooled"})
    EXPECT_LT(test::rel_l2(clip_out->get(name), clip_ref->get(name)), 1e-4) << name;

  r = test::run_fluxgen({"eval", "t5", "--weights", test::fixture("t5xxl.safetensors"), "--inputs",
                         test::fixture("t5_io.safetensors"), "--output", dir + "/t5.safetensors"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto t5_ref = SafetensorsFile::open(test::fixture("t5_io.safetensors"));
  EXPECT_LT(test::rel_l2(SafetensorsFile::open(dir + "/t5.safetensors")->get("out.last_hidden_state"),
                         t5_ref->get("out.last_hidden_state")),
            1e-4);

  r = test::run_fluxgen({"eval", "t5", "--weights", test::fixture("t5xxl.safetensors"), "--storage", "nf4",
                         "--inputs", test::fixture("t5_io.safetensors"), "--output", dir + "/t5nf4.safetensors"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  r = test::run_fluxgen({"eval", "clip", "--weights", test::fixture("t5xxl.safetensors"), "--inputs",
                         test::fixture("clip_io.safetensors"), "--output", dir + "/x.safetensors"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("no CLIP text model"), std::string::npos) << r.err;
  r = test::run_fluxgen({"eval", "t5", "--weights", test::fixture("t5xxl.safetensors"), "--inputs",
                         test::fixture("clip_io.safetensors"), "--output", dir + "/x.safetensors"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("outside the vocabulary"), std::string::npos) << r.err;
}

TEST(DataFiles, SearchOrderAndErrors) {
  const std::string dir = test::temp_dir();
  ::setenv("FLUXGEN_DATA_DIR", dir.c_str(), 1);
  const auto dirs = data_search_dirs();
  ASSERT_FALSE(dirs.empty());
  EXPECT_EQ(dirs.front(), dir);
  EXPECT_EQ(dirs.back(), FLUXGEN_DATA_DIR);
  try {
    find_data_path("tokenizers/none-such");
    ADD_FAILURE() << "found a missing file";
  } catch (const Error& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find(dir + "/tokenizers/none-such"), std::string::npos) << msg;
    EXPECT_NE(msg.find(std::string(FLUXGEN_DATA_DIR) + "/tokenizers/none-such"), std::string::npos) << msg;
  }
  // $FLUXGEN_DATA_DIR comes first: a (broken) tokenizer there is the one loaded.
  std::filesystem::create_directories(dir + "/tokenizers/clip");
  std::ofstream(dir + "/tokenizers/clip/vocab.json") << "{}";
  std::ofstream(dir + "/tokenizers/clip/merges.txt") << "#version: 0.2\n";
  try {
    ClipTokenizer::load();
    ADD_FAILURE() << "did not use $FLUXGEN_DATA_DIR";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(dir), std::string::npos) << e.what();
  }
  ::unsetenv("FLUXGEN_DATA_DIR");
  EXPECT_EQ(ClipTokenizer::load().vocab_size(), 49408u);
}

}  // namespace
}  // namespace fluxgen
