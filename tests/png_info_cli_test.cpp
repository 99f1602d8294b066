// `fluxgen png-info FILE` on files as A1111/Forge write them.
#include <gtest/gtest.h>

#include "imaging_test_support.h"
#include "io/image/image_io.h"

namespace fluxgen {
namespace {

using test::imaging_data;

TEST(PngInfoCli, PrintsTheInfotextOfPngJpegAndWebp) {
  FLUXGEN_REQUIRE_CLI();
  const std::string latin = test::read_binary(imaging_data("a1111_text.txt"));
  const std::string unicode = test::read_binary(imaging_data("a1111_unicode.txt"));
  for (const auto& [file, expected] :
       {std::pair{"a1111_text.png", latin}, std::pair{"a1111_itxt.png", unicode}, std::pair{"a1111_ztxt.png", latin},
        std::pair{"photo.jpg", unicode}, std::pair{"lossless.webp", latin}}) {
    const auto r = test::run_fluxgen({"png-info", imaging_data(file)});
    EXPECT_EQ(r.exit_code, 0) << file << ": " << r.err;
    EXPECT_EQ(r.out, expected + "\n") << file;
  }
}

TEST(PngInfoCli, ClearErrorsWithoutInfotextOrFile) {
  FLUXGEN_REQUIRE_CLI();
  auto r = test::run_fluxgen({"png-info", imaging_data("plain.png")});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("plain.png: no generation parameters"), std::string::npos) << r.err;
  r = test::run_fluxgen({"png-info", "/nonexistent.png"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("/nonexistent.png"), std::string::npos) << r.err;
  const std::string dir = test::temp_dir();
  const std::string png = test::read_binary(imaging_data("a1111_text.png"));
  test::write_binary(dir + "/cut.png", png.substr(0, png.size() / 2));
  r = test::run_fluxgen({"png-info", dir + "/cut.png"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("cut.png: corrupt PNG"), std::string::npos) << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << "one line: " << r.err;
}

TEST(PngInfoCli, ReadsWhatFluxgenWrites) {
  FLUXGEN_REQUIRE_CLI();
  const std::string dir = test::temp_dir();
  Image im(8, 8, 3);
  const std::string text = "\xf0\x9f\x8c\xb8 prompt\nSteps: 1, Sampler: Euler, Seed: 5";
  write_png(dir + "/out.png", im, {{"parameters", text}});
  const auto r = test::run_fluxgen({"png-info", dir + "/out.png"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, text + "\n");
}

}  // namespace
}  // namespace fluxgen
