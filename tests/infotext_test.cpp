// The A1111/Forge infotext: written as processing.py create_infotext does, read back as
// infotext_utils.parse_generation_parameters does.
#include <gtest/gtest.h>

#include <cmath>

#include "imaging_test_support.h"
#include "pipeline/infotext.h"
#include "util/error.h"

namespace fluxgen {
namespace {

Infotext forge_example() {
  Infotext info;
  info.prompt = "photo of a woman, natural light";
  info.negative_prompt = "blurry, lowres";
  info.params = {{"Steps", "12"},
                 {"Sampler", "Euler"},
                 {"Schedule type", "Simple"},
                 {"CFG scale", "1"},
                 {"Distilled CFG Scale", "3.5"},
                 {"Seed", "1234"},
                 {"Size", "64x48"},
                 {"Model hash", "0123456789"},
                 {"Model", "flux1-dev-bnb-nf4-v2"},
                 {"Lora hashes", "me: abcdef012345"},
                 {"Version", "f2.0.1v1.10.1"},
                 {"Diffusion in Low Bits", "bnb-nf4 (fp16 LoRA)"}};
  return info;
}

TEST(Infotext, BuildsForgesExactText) {
  // The same text the Pillow-made a1111_text.png carries (make_goldens.py).
  EXPECT_EQ(build_infotext(forge_example()), test::read_binary(test::imaging_data("a1111_text.txt")));
  Infotext no_negative = forge_example();
  no_negative.negative_prompt.clear();
  EXPECT_EQ(build_infotext(no_negative).substr(0, 41), "photo of a woman, natural light\nSteps: 12");
}

TEST(Infotext, QuotesLikeA1111) {
  EXPECT_EQ(infotext_quote("Euler"), "Euler");
  EXPECT_EQ(infotext_quote("me: abc"), "\"me: abc\"");
  EXPECT_EQ(infotext_quote("a, b"), "\"a, b\"");
  EXPECT_EQ(infotext_quote("two\nlines"), "\"two\\nlines\"");
  // JSON escapes with non-ASCII kept (json.dumps(ensure_ascii=False)).
  EXPECT_EQ(infotext_quote("say \"hi\", \xe6\x9d\xb1\\"), "\"say \\\"hi\\\", \xe6\x9d\xb1\\\\\"");
  EXPECT_EQ(infotext_quote("tab\there: x"), "\"tab\\there: x\"");
  // A quote alone does not trigger quoting (as A1111) unless the value would read back as JSON.
  EXPECT_EQ(infotext_quote("my\"model"), "my\"model");
  EXPECT_EQ(infotext_quote("\"x\""), "\"\\\"x\\\"\"");
}

TEST(Infotext, ParsesForgeText) {
  const Infotext info = parse_infotext(test::read_binary(test::imaging_data("a1111_text.txt")));
  EXPECT_EQ(info.prompt, "photo of a woman, natural light");
  EXPECT_EQ(info.negative_prompt, "blurry, lowres");
  EXPECT_EQ(info.params, forge_example().params);
  EXPECT_EQ(info.get("Lora hashes"), "me: abcdef012345");
  EXPECT_EQ(info.get("Size"), "64x48");
  EXPECT_EQ(infotext_size(*info.get("Size")), std::make_pair(64, 48));
  EXPECT_FALSE(info.get("Hires steps"));
}

TEST(Infotext, RoundTripsHardValues) {
  Infotext info;
  info.prompt = "a \"quoted\" prompt, with: colons\nand a second line, \xd0\xbf\xd1\x80\xd0\xb8\xd0\xb2\xd0\xb5\xd1\x82 \xf0\x9f\x8c\xb8";
  info.negative_prompt = "ugly, bad: hands\nsecond negative line";
  info.params = {{"Steps", "12"},
                 {"Sampler", "[Forge] Flux Realistic (2x Slow)"},
                 {"Model", "my, model: v2"},
                 {"Lora hashes", "me: abcdef012345, other: 0123456789ab"},
                 {"Hires prompt", "line one\nline \"two\""},
                 {"Weird", "\\back\\slash, \t tab"},
                 {"Unicode", "\xe6\x9d\xb1\xe4\xba\xac, \xf0\x9f\x8c\xb8"},
                 {"Quoted", "\"x\""},
                 {"ADetailer model", "face_yolov8s.pt"},
                 {"ADetailer prompt", "perfect detailed face, sharp eyes"},
                 {"Version", "f2.0.1v1.10.1-previous-313-g8a042934"}};
  const std::string text = build_infotext(info);
  const Infotext back = parse_infotext(text);
  EXPECT_EQ(back.prompt, info.prompt);
  EXPECT_EQ(back.negative_prompt, info.negative_prompt);
  EXPECT_EQ(back.params, info.params) << text;
}

TEST(Infotext, PromptOnlyAndShortParameterLines) {
  // Fewer than three "key: value" pairs on the last line: it is part of the prompt.
  Infotext a = parse_infotext("just a prompt: with a colon");
  EXPECT_EQ(a.prompt, "just a prompt: with a colon");
  EXPECT_TRUE(a.params.empty());
  Infotext b = parse_infotext("  first line  \n  Steps: 1, Seed: 2  \n");
  EXPECT_EQ(b.prompt, "first line\nSteps: 1, Seed: 2");
  Infotext c = parse_infotext("p\nNegative prompt:   neg one\nneg two\nSteps: 1, Seed: 2, Size: 8x8");
  EXPECT_EQ(c.prompt, "p");
  EXPECT_EQ(c.negative_prompt, "neg one\nneg two");
  EXPECT_EQ(c.params.size(), 3u);
  // The whole text is a parameter line: empty prompt.
  Infotext d = parse_infotext("Steps: 1, Seed: 2, Size: 8x8");
  EXPECT_EQ(d.prompt, "");
  EXPECT_EQ(d.get("Seed"), "2");
  EXPECT_TRUE(parse_infotext("").params.empty());
}

TEST(Infotext, ParserCornerCasesFollowA1111sRegex) {
  // Empty values are dropped (A1111 indexes v[0] and skips the pair on the error).
  Infotext a = parse_infotext("p\nSteps: 12, Empty: , Seed: 3, Size: 4x4");
  EXPECT_FALSE(a.get("Empty"));
  EXPECT_EQ(a.get("Seed"), "3");
  // Keys need two characters; a one-letter key is skipped, its text ignored.
  Infotext b = parse_infotext("p\nA: 1, Steps: 2, Seed: 3, Size: 4x4");
  EXPECT_FALSE(b.get("A"));
  EXPECT_EQ(b.params.size(), 3u);
  // Keys may hold spaces, '-' and '/'; values keep inner spaces.
  Infotext c = parse_infotext("p\nHires upscale: 1.3, Token merging ratio/hr: 0.5, RNG-src: CPU, Model: a b");
  EXPECT_EQ(c.get("Token merging ratio/hr"), "0.5");
  EXPECT_EQ(c.get("RNG-src"), "CPU");
  EXPECT_EQ(c.get("Model"), "a b");
  // A quoted value not followed by ',' falls back to the raw text up to the next ','.
  Infotext d = parse_infotext("p\nSteps: 1, Model: \"a\"b, Seed: 2, Size: 1x1");
  EXPECT_EQ(d.get("Model"), "\"a\"b");
  // Invalid JSON in quotes stays as written.
  Infotext e = parse_infotext("p\nSteps: 1, Model: \"a\\qb\", Seed: 2");
  EXPECT_EQ(e.get("Model"), "\"a\\qb\"");
  // A repeated key: the last value wins, as in a Python dict.
  Infotext f = parse_infotext("p\nSeed: 1, Steps: 2, Seed: 3");
  EXPECT_EQ(f.get("Seed"), "3");
}

TEST(Infotext, NumbersAndSizes) {
  EXPECT_EQ(infotext_number(1.0), "1");
  EXPECT_EQ(infotext_number(12), "12");
  EXPECT_EQ(infotext_number(-3), "-3");
  EXPECT_EQ(infotext_number(3.5), "3.5");
  EXPECT_EQ(infotext_number(0.3), "0.3");
  EXPECT_EQ(infotext_number(1.3), "1.3");
  EXPECT_EQ(infotext_number(0.1 + 0.2), "0.30000000000000004");
  EXPECT_EQ(infotext_number(0.0001), "0.0001");
  EXPECT_EQ(infotext_number(1.5e-5), "1.5e-05");
  EXPECT_EQ(infotext_number(123456.789), "123456.789");
  EXPECT_EQ(infotext_number(1e20), "1e+20");
  EXPECT_THROW(infotext_number(std::nan("")), Error);
  EXPECT_EQ(infotext_size("896x1152"), std::make_pair(896, 1152));
  EXPECT_FALSE(infotext_size("896x"));
  EXPECT_FALSE(infotext_size("x5"));
  EXPECT_FALSE(infotext_size("8x8x8"));
  EXPECT_FALSE(infotext_size("-8x8"));
  EXPECT_FALSE(infotext_size("8 x 8"));
}

}  // namespace
}  // namespace fluxgen
