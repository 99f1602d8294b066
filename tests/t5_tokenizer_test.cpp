// T5 tokenizer: the golden ids of tokens.json (SentencePiece's own output) from the shipped
// tokenizer.json through fluxgen's normalizer and Viterbi; the same again through libsentencepiece
// on the genuine spiece.model, and a differential run of both over many awkward strings; the
// normalizer's white-space rules; errors; load time.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <fstream>
#include <random>

#include "text/precompiled_charsmap.h"
#include "text/sentencepiece_library.h"
#include "text/sentencepiece_normalizer.h"
#include "text/t5_tokenizer.h"
#include "text/unigram_model.h"
#include "token_fixture.h"
#include "util/error.h"
#include "util/utf8.h"

namespace fluxgen {
namespace {

using test::error_of;

const T5Tokenizer& shipped() {
  static const T5Tokenizer tok = T5Tokenizer::load();
  return tok;
}

void write_file(const std::string& path, const std::string& text) { std::ofstream(path, std::ios::binary) << text; }


TEST(T5Tokenizer, MatchesGoldenIdsForEveryPrompt) {
  const auto rows = test::token_rows();
  ASSERT_GE(rows.size(), 9u);
  for (const auto& row : rows) {
    EXPECT_EQ(shipped().encode_raw(row.prompt), row.t5_raw) << row.prompt;
    EXPECT_EQ(shipped().encode(row.prompt), row.t5_512) << row.prompt;
  }
}

// The ids libsentencepiece gave for awkward prompts (tools/gen_token_goldens.py), so builds
// without the library check the same corners.
TEST(T5Tokenizer, MatchesSentencePieceOnAwkwardText) {
  const auto rows = test::extra_token_rows();
  ASSERT_GE(rows.size(), 250u);
  int mismatches = 0;
  for (const auto& row : rows) {
    if (shipped().encode_raw(row.prompt) != row.t5_raw && ++mismatches <= 10) ADD_FAILURE() << "\"" << row.prompt << "\"";
  }
  EXPECT_EQ(mismatches, 0);
}

TEST(T5Tokenizer, SpecialTokensPaddingAndTruncation) {
  const auto& tok = shipped();
  EXPECT_EQ(tok.eos_id(), 1);
  EXPECT_EQ(tok.pad_id(), 0);
  EXPECT_EQ(tok.vocab_size(), 32100u);
  const auto empty = tok.encode("");
  ASSERT_EQ(empty.size(), 512u);
  EXPECT_EQ(empty[0], 1);
  for (size_t i = 1; i < 512; ++i) EXPECT_EQ(empty[i], 0);
  std::string long_prompt;
  for (int i = 0; i < 600; ++i) long_prompt += "photo ";
  const auto raw = tok.encode_raw(long_prompt);
  ASSERT_EQ(raw.size(), 600u);
  const auto ids = tok.encode(long_prompt);
  ASSERT_EQ(ids.size(), 512u);
  EXPECT_EQ(std::vector<int32_t>(ids.begin(), ids.end() - 1), std::vector<int32_t>(raw.begin(), raw.begin() + 511));
  EXPECT_EQ(ids[511], 1);
  EXPECT_EQ(tok.encode("photo", 3), (std::vector<int32_t>{raw[0], 1, 0}));
  EXPECT_THROW(tok.encode("x", 0), Error);
  // Control pieces written in the text are plain text to SentencePiece.
  const auto written = tok.encode_raw("</s> <extra_id_0>");
  EXPECT_EQ(std::count(written.begin(), written.end(), 1), 0);
}

TEST(T5Tokenizer, WhiteSpaceRulesOfSentencePiece) {
  const auto& tok = shipped();
  const auto plain = tok.encode_raw("a cat");
  EXPECT_EQ(tok.encode_raw("   a \t\n  cat   "), plain);
  EXPECT_EQ(tok.encode_raw("a\xE3\x80\x80" "cat"), plain);  // ideographic space is NFKC ' '
  EXPECT_TRUE(tok.encode_raw(" \t\n ").empty());
}

TEST(T5Tokenizer, EmojiAndUnusualTextEncode) {
  const auto& tok = shipped();
  const std::string texts[] = {"🐱🐶🔥✨ 👩‍👩‍👧‍👦 🇺🇦", "\xff\xfe broken \xe2\x82 utf8", "ｆｕｌｌｗｉｄｔｈ ﬁ ①", "日本語",
                                std::string("nul\0inside", 10), "\x01\x02"};
  for (const std::string& text : texts) {
    const auto ids = tok.encode(text);
    ASSERT_EQ(ids.size(), 512u) << text;
    for (int32_t id : ids) EXPECT_TRUE(id >= 0 && id < 32100) << text;
  }
  // NFKC through the precompiled charsmap: full-width letters and ligatures are plain ASCII.
  EXPECT_EQ(tok.encode_raw("ｆｕｌｌ ﬁne"), tok.encode_raw("full fine"));
  // A run of characters T5 does not know is one <unk>.
  EXPECT_EQ(tok.encode_raw("🐱🐶"), (std::vector<int32_t>{3, 2}));
  const auto two = tok.encode_raw("🐱 🐶");
  EXPECT_EQ(std::count(two.begin(), two.end(), 2), 2);
}

TEST(T5Tokenizer, SpieceModelThroughLibSentencePiece) {
  if (!sentencepiece_library_available()) {
    EXPECT_NE(error_of([] { T5Tokenizer::load(test::fixture("spiece.model")); }).find("without libsentencepiece"),
              std::string::npos);
    GTEST_SKIP() << "built without libsentencepiece";
  }
  const T5Tokenizer spm = T5Tokenizer::load(test::fixture("spiece.model"));
  EXPECT_EQ(spm.eos_id(), 1);
  EXPECT_EQ(spm.pad_id(), 0);
  for (const auto& row : test::token_rows()) EXPECT_EQ(spm.encode(row.prompt), row.t5_512) << row.prompt;
}

// fluxgen's SentencePiece against Google's over strings built to hit the normalizer's corners:
// mixed scripts, NFKC-affected characters, control characters, odd spaces, broken UTF-8.
TEST(T5Tokenizer, AgreesWithLibSentencePieceOnAwkwardText) {
  if (!sentencepiece_library_available()) GTEST_SKIP() << "built without libsentencepiece";
  const T5Tokenizer spm = T5Tokenizer::load(test::fixture("spiece.model"));
  const std::vector<std::string> atoms = {
      "a", "photo", " ", "  ", "\t", "\n", "\r\n", "\xC2\xA0", "\xE3\x80\x80", "\xE2\x80\x8B", ",", ".", "!",
      "'", "\"", "(", ")", ":", "1", "23", "4.5", "é", "e\xCC\x81", "ß", "Ω", "Ж", "日本", "한국어", "ﬁ", "ｆｕｌｌ",
      "①", "½", "™", "…", "—", "🐱", "👩\xE2\x80\x8D👩", "\xEF\xB8\x8F", "\x01", "\x7F", "\xC2\x85", "\xFF",
      "\xE2\x82", "İ", "ǅ", "Σ", "<", "</s>", "▁", "\xE2\x96\x81\xE2\x96\x81", "ﾊﾟ", "ｶﾞ", "\xF0\x9F\x87\xBA\xF0\x9F\x87\xA6"};
  // Plus random code points from blocks the NFKC charsmap rewrites or T5 does not know.
  const std::vector<std::pair<char32_t, char32_t>> blocks = {
      {0x20, 0x7E},     {0xA0, 0x24F},    {0x300, 0x36F},   {0x370, 0x52F},   {0x2000, 0x2BFF},
      {0x3000, 0x30FF}, {0x3130, 0x318F}, {0xAC00, 0xAC40}, {0xF900, 0xFAFF}, {0xFB00, 0xFDFF},
      {0xFE00, 0xFFEF}, {0x1D400, 0x1D7FF}, {0x1F100, 0x1F6FF}};
  std::mt19937 rng(1234);
  const int rounds = std::getenv("FLUXGEN_T5_FUZZ_ROUNDS") ? std::atoi(std::getenv("FLUXGEN_T5_FUZZ_ROUNDS")) : 3000;
  int mismatches = 0;
  for (int n = 0; n < rounds; ++n) {
    std::string text;
    const int len = static_cast<int>(rng() % 12);
    for (int k = 0; k < len; ++k) {
      if (rng() % 3 == 0) {
        const auto& [lo, hi] = blocks[rng() % blocks.size()];
        append_utf8(text, lo + static_cast<char32_t>(rng() % (hi - lo + 1)));
      } else {
        text += atoms[rng() % atoms.size()];
      }
    }
    const auto ours = shipped().encode_raw(text), theirs = spm.encode_raw(text);
    if (ours != theirs && ++mismatches <= 5) {
      std::string a, b;
      for (int32_t id : ours) a += std::to_string(id) + " ";
      for (int32_t id : theirs) b += std::to_string(id) + " ";
      ADD_FAILURE() << "differs on \"" << text << "\": fluxgen " << a << "; libsentencepiece " << b;
    }
  }
  EXPECT_EQ(mismatches, 0);
}

TEST(SentencePieceNormalizer, FollowsTheSpecFlags) {
  const std::string space = "\xE2\x96\x81";
  EXPECT_EQ(SentencePieceNormalizer({}, {}).normalize("  a  b "), space + "a" + space + "b");
  NormalizerSpec keep;
  keep.remove_extra_whitespaces = false;
  keep.add_dummy_prefix = false;
  EXPECT_EQ(SentencePieceNormalizer({}, keep).normalize(" a  b"), space + "a" + space + space + "b");
  NormalizerSpec raw;
  raw.escape_whitespaces = false;
  EXPECT_EQ(SentencePieceNormalizer({}, raw).normalize("a   b  "), " a b");
  EXPECT_EQ(SentencePieceNormalizer({}, {}).normalize("\xFF" "a"), space + "\xEF\xBF\xBD" "a");
}

TEST(UnigramModel, ViterbiUnknownsAndByteFallback) {
  using K = UnigramPiece::Kind;
  std::vector<UnigramPiece> pieces = {{"<unk>", 0, K::Unknown}, {"a", -1, K::Normal},  {"b", -1, K::Normal},
                                      {"ab", -1.5f, K::Normal}, {"abc", -5, K::Normal}, {"c", -3, K::Normal}};
  const UnigramModel m(pieces, false, "test");
  EXPECT_EQ(m.encode("ab"), (std::vector<int32_t>{3}));        // -1.5 beats -2
  EXPECT_EQ(m.encode("abc"), (std::vector<int32_t>{3, 5}));    // -4.5 beats -5
  EXPECT_EQ(m.encode("xa"), (std::vector<int32_t>{0, 1}));
  EXPECT_EQ(m.encode("\xC3\xA9\xC3\xA9" "a" "\xC3\xA9"), (std::vector<int32_t>{0, 1, 0}));  // runs of <unk> merge
  for (int b = 0; b < 256; ++b) {
    char name[8];
    std::snprintf(name, sizeof(name), "<0x%02X>", b);
    pieces.push_back({name, 0, K::Byte});
  }
  const UnigramModel fb(pieces, true, "test");
  EXPECT_EQ(fb.encode("\xC3\xA9\xC3\xA9" "a"), (std::vector<int32_t>{6 + 0xC3, 6 + 0xA9, 6 + 0xC3, 6 + 0xA9, 1}));
  pieces.pop_back();
  EXPECT_NE(error_of([&] { UnigramModel(pieces, true, "test"); }).find("<0xFF>"), std::string::npos);
  EXPECT_NE(error_of([] { UnigramModel({{"a", -1, K::Normal}}, false, "test"); }).find("no unknown piece"),
            std::string::npos);
}

TEST(T5Tokenizer, ReportsBadFiles) {
  const std::string dir = test::temp_dir();
  EXPECT_NE(error_of([&] { T5Tokenizer::load(dir); }).find("expected tokenizer.json or spiece.model"), std::string::npos);
  EXPECT_NE(error_of([&] { T5Tokenizer::load(dir + "/nope.json"); }).find("not found"), std::string::npos);
  write_file(dir + "/tokenizer.json", "{\"model\": {\"type\": \"Unigram\", \"vocab\": [[\"a\", -1.0]");
  EXPECT_NE(error_of([&] { T5Tokenizer::load(dir); }).find("JSON error"), std::string::npos);
  write_file(dir + "/tokenizer.json", "{\"model\": {\"type\": \"BPE\", \"vocab\": {}}}");
  EXPECT_NE(error_of([&] { T5Tokenizer::load(dir); }).find("\"BPE\" is not supported"), std::string::npos);
  write_file(dir + "/tokenizer.json", "{\"model\": {\"type\": \"Unigram\", \"unk_id\": 7, \"vocab\": [[\"a\", -1.0]]}}");
  EXPECT_NE(error_of([&] { T5Tokenizer::load(dir); }).find("unk_id"), std::string::npos);
  write_file(dir + "/tokenizer.json", "{\"model\": {\"type\": \"Unigram\", \"unk_id\": 0, \"vocab\": [[\"a\", \"x\"]]}}");
  EXPECT_NE(error_of([&] { T5Tokenizer::load(dir); }).find("vocab[0]"), std::string::npos);
  // A broken charsmap: bad base64, then a trie size beyond the blob.
  const std::string head = "{\"pre_tokenizer\": {\"type\": \"Metaspace\"}, \"model\": {\"type\": \"Unigram\", \"unk_id\": 0, "
                           "\"vocab\": [[\"<unk>\", 0], [\"</s>\", 0], [\"<pad>\", 0], [\"a\", -1]]}, ";
  write_file(dir + "/tokenizer.json", head + "\"normalizer\": {\"type\": \"Precompiled\", \"precompiled_charsmap\": \"@@@\"}}");
  EXPECT_NE(error_of([&] { T5Tokenizer::load(dir); }).find("precompiled_charsmap: invalid base64"), std::string::npos);
  write_file(dir + "/tokenizer.json", head + "\"normalizer\": {\"type\": \"Precompiled\", \"precompiled_charsmap\": \"/////w==\"}}");
  EXPECT_NE(error_of([&] { T5Tokenizer::load(dir); }).find("trie"), std::string::npos);
  write_file(dir + "/tokenizer.json", head + "\"normalizer\": {\"type\": \"Lowercase\"}}");
  EXPECT_NE(error_of([&] { T5Tokenizer::load(dir); }).find("Lowercase"), std::string::npos);
  // Well-formed but minimal: loads and encodes.
  write_file(dir + "/tokenizer.json", head + "\"normalizer\": null}");
  EXPECT_EQ(T5Tokenizer::load(dir).encode_raw("a a"), (std::vector<int32_t>{0, 3, 0, 3}));
  write_file(dir + "/spiece.model", "garbage");
  if (sentencepiece_library_available()) {
    EXPECT_NE(error_of([&] { T5Tokenizer::load(dir + "/spiece.model"); }).find("not a SentencePiece model"),
              std::string::npos);
  }
}

TEST(PrecompiledCharsmap, SurvivesHostileTries) {
  // Random trie units must never read outside the blob.
  std::mt19937 rng(7);
  for (int n = 0; n < 200; ++n) {
    std::string blob(4, '\0');
    const uint32_t units = 1 + rng() % 64;
    const uint32_t bytes = units * 4;
    std::memcpy(blob.data(), &bytes, 4);
    for (uint32_t i = 0; i < bytes; ++i) blob.push_back(static_cast<char>(rng()));
    blob += std::string("x\0", 2);
    const PrecompiledCharsmap m(blob, "random");
    for (int k = 0; k < 20; ++k) {
      std::string input;
      for (int j = 0; j < 6; ++j) input.push_back(static_cast<char>(rng()));
      (void)m.longest_prefix(input);
    }
  }
  EXPECT_THROW(PrecompiledCharsmap(std::string("\x08\0\0\0abcdefghxyz", 15), "unterminated"), Error);
}

}  // namespace
}  // namespace fluxgen
