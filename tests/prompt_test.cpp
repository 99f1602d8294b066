// Prompt handling: <lora:...> / <lyco:...> tags out of the text with A1111's weight rules,
// everything else (emphasis syntax included) left as written.
#include <gtest/gtest.h>

#include <chrono>

#include "text/prompt.h"
#include "util/error.h"

namespace fluxgen {
namespace {

TEST(PromptParsing, TakesOutLoraTags) {
  const ParsedPrompt p = parse_prompt("a photo of TOK woman, <lora:my_face:0.8> golden hour <lora:film grain v2>");
  EXPECT_EQ(p.text, "a photo of TOK woman,  golden hour ");
  ASSERT_EQ(p.loras.size(), 2u);
  EXPECT_EQ(p.loras[0].name, "my_face");
  EXPECT_FLOAT_EQ(p.loras[0].weight, 0.8f);
  EXPECT_FLOAT_EQ(p.loras[0].text_encoder_weight, 0.8f);
  EXPECT_EQ(p.loras[0].tag, "<lora:my_face:0.8>");
  EXPECT_EQ(p.loras[1].name, "film grain v2");
  EXPECT_FLOAT_EQ(p.loras[1].weight, 1.0f);
  const lora::LoraRequest r = p.loras[0].request();
  EXPECT_EQ(r.path, "my_face");
  EXPECT_FLOAT_EQ(r.multiplier, 0.8f);
  EXPECT_TRUE(p.warnings.empty());
}

TEST(PromptParsing, FollowsA1111WeightRules) {
  auto one = [](const char* s) {
    const ParsedPrompt p = parse_prompt(s);
    EXPECT_EQ(p.loras.size(), 1u) << s;
    return p.loras.at(0);
  };
  PromptLora l = one("<lora:x:0.7:0.5>");
  EXPECT_FLOAT_EQ(l.text_encoder_weight, 0.7f);
  EXPECT_FLOAT_EQ(l.weight, 0.5f);
  l = one("<lora:x:te=0.3:unet=1.2>");
  EXPECT_FLOAT_EQ(l.text_encoder_weight, 0.3f);
  EXPECT_FLOAT_EQ(l.weight, 1.2f);
  l = one("<lora:x:0.9:unet=0.4>");
  EXPECT_FLOAT_EQ(l.text_encoder_weight, 0.9f);
  EXPECT_FLOAT_EQ(l.weight, 0.4f);
  l = one("<lora:x: -0.5 >");
  EXPECT_FLOAT_EQ(l.weight, -0.5f);
  l = one("<lyco:my_lycoris:0.6>");  // A1111's alias of lora
  EXPECT_EQ(l.name, "my_lycoris");
  EXPECT_FLOAT_EQ(l.weight, 0.6f);
  l = one("<lora:dir/sub.v1:1e-1>");
  EXPECT_EQ(l.name, "dir/sub.v1");
  EXPECT_FLOAT_EQ(l.weight, 0.1f);
}

TEST(PromptParsing, LeavesEmphasisAndOtherTextAlone) {
  const std::string text = "(masterpiece:1.2), [blurry], ((detailed)), a < b, <not a tag>, <:x>, <lora:>, \\(x\\)";
  const ParsedPrompt p = parse_prompt(text);
  EXPECT_EQ(p.text, text);
  EXPECT_TRUE(p.loras.empty());
  EXPECT_EQ(parse_prompt("").text, "");
  EXPECT_EQ(parse_prompt("Портрет <lora:лицо:0.5> 🐱").text, "Портрет  🐱");
  EXPECT_EQ(parse_prompt("Портрет <lora:лицо:0.5> 🐱").loras.at(0).name, "лицо");
}

TEST(PromptParsing, StaysLinearOnUnclosedTags) {
  std::string text;
  for (int i = 0; i < 200000; ++i) text += "<a:";
  const auto t0 = std::chrono::steady_clock::now();
  EXPECT_EQ(parse_prompt(text).text, text);
  EXPECT_LT(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(), 5.0);
}

TEST(PromptParsing, RemovesOtherNetworksWithAWarning) {
  const ParsedPrompt p = parse_prompt("cat <hypernet:anime:1> dog");
  EXPECT_EQ(p.text, "cat  dog");
  EXPECT_TRUE(p.loras.empty());
  ASSERT_EQ(p.warnings.size(), 1u);
  EXPECT_NE(p.warnings[0].find("<hypernet:anime:1>"), std::string::npos);
}

TEST(PromptParsing, RejectsBadLoraTags) {
  for (const char* bad : {"<lora:x:abc>", "<lora:x:1.0.0>", "<lora:x:inf>", "<lora:x:0.5:nan>", "<lora::0.5>",
                          "<lora:x:te=>"}) {
    try {
      parse_prompt(std::string("a ") + bad);
      ADD_FAILURE() << "accepted " << bad;
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find(bad), std::string::npos) << e.what();
    }
  }
}

}  // namespace
}  // namespace fluxgen
