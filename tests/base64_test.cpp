#include <gtest/gtest.h>

#include "util/base64.h"
#include "util/error.h"

namespace fluxgen {
namespace {

std::string decode_str(std::string_view s) {
  const auto v = base64_decode(s);
  return std::string(v.begin(), v.end());
}

TEST(Base64, Rfc4648Vectors) {
  const std::pair<const char*, const char*> vectors[] = {{"", ""},         {"f", "Zg=="},         {"fo", "Zm8="},
                                                         {"foo", "Zm9v"},  {"foob", "Zm9vYg=="}, {"fooba", "Zm9vYmE="},
                                                         {"foobar", "Zm9vYmFy"}};
  for (const auto& [plain, encoded] : vectors) {
    EXPECT_EQ(base64_encode(std::string_view(plain)), encoded);
    EXPECT_EQ(decode_str(encoded), plain);
  }
  EXPECT_EQ(decode_str("Zm9vYg"), "foob") << "padding may be omitted";
  EXPECT_EQ(decode_str(" Zm9v\r\nYmFy\n"), "foobar") << "whitespace is skipped";
  std::string all;
  for (int i = 0; i < 256; ++i) all += static_cast<char>(i);
  EXPECT_EQ(decode_str(base64_encode(all)), all);
}

TEST(Base64, InvalidInputIsAnErrorNamingTheField) {
  const auto msg = [](std::string_view s) {
    try {
      base64_decode(s, "images[0]");
    } catch (const Error& e) {
      return std::string(e.what());
    }
    return std::string();
  };
  EXPECT_NE(msg("Zm9v!").find("images[0]: invalid base64 character '!' at offset 4"), std::string::npos);
  EXPECT_NE(msg("Zm9vY").find("truncated"), std::string::npos);
  EXPECT_NE(msg("Zg==Zg==").find("after '=' padding"), std::string::npos);
  EXPECT_NE(msg("=Zg=").find("misplaced"), std::string::npos);
  EXPECT_NE(msg("Zg===").find("padding"), std::string::npos);
  EXPECT_NE(msg("Zm9\xff").find("0xff"), std::string::npos);
}

}  // namespace
}  // namespace fluxgen
