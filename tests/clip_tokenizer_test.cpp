// CLIP tokenizer: the golden ids of tokens.json from both vocabulary forms, the Python details
// the ids depend on (lower-casing, the split pattern, html unescaping), errors, and load time.
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <random>

#include "text/clip_pre_tokenizer.h"
#include "text/clip_tokenizer.h"
#include "text/ftfy_fixes.h"
#include "text/html_unescape.h"
#include "text/unicode.h"
#include "text/unicode_normalization.h"
#include "token_fixture.h"
#include "util/error.h"
#include "util/utf8.h"

namespace fluxgen {
namespace {

const ClipTokenizer& shipped() {
  static const ClipTokenizer tok = ClipTokenizer::load();
  return tok;
}

std::string data_dir() { return FLUXGEN_DATA_DIR; }

void write_file(const std::string& path, const std::string& text) {
  std::ofstream(path, std::ios::binary) << text;
}

TEST(ClipTokenizer, MatchesGoldenIdsForEveryPrompt) {
  const auto rows = test::token_rows();
  ASSERT_GE(rows.size(), 9u);
  for (const auto& row : rows) {
    EXPECT_EQ(shipped().encode_raw(row.prompt), row.clip_raw) << row.prompt;
    EXPECT_EQ(shipped().encode(row.prompt), row.clip_77) << row.prompt;
  }
}

// Emoji, curly quotes, full-width forms, ligatures, entities, Greek, combining marks, control
// characters...: the ids of OpenAI's tokenizer with ftfy (tools/gen_token_goldens.py).
TEST(ClipTokenizer, MatchesOpenAiOnAwkwardText) {
  const auto rows = test::extra_token_rows();
  ASSERT_GE(rows.size(), 250u);
  int mismatches = 0;
  for (const auto& row : rows) {
    if (shipped().encode_raw(row.prompt) != row.clip_raw && ++mismatches <= 10) ADD_FAILURE() << "\"" << row.prompt << "\"";
  }
  EXPECT_EQ(mismatches, 0);
}

TEST(ClipTokenizer, OpenAiGzipVocabularyGivesTheSameIds) {
#ifndef FLUXGEN_WITH_ZLIB
  GTEST_SKIP() << "built without zlib";
#endif
  const ClipTokenizer openai = ClipTokenizer::load(data_dir() + "/tokenizers/bpe_simple_vocab_16e6.txt.gz");
  EXPECT_EQ(openai.vocab_size(), 49408u);
  EXPECT_EQ(openai.bos_id(), 49406);
  EXPECT_EQ(openai.eos_id(), 49407);
  for (const auto& row : test::token_rows()) EXPECT_EQ(openai.encode(row.prompt), row.clip_77) << row.prompt;
}

TEST(ClipTokenizer, SpecialTokensPaddingAndTruncation) {
  const auto& tok = shipped();
  EXPECT_EQ(tok.bos_id(), 49406);
  EXPECT_EQ(tok.eos_id(), 49407);
  const auto empty = tok.encode("");
  ASSERT_EQ(empty.size(), 77u);
  EXPECT_EQ(empty[0], 49406);
  for (size_t i = 1; i < 77; ++i) EXPECT_EQ(empty[i], 49407);
  // 600 words: BOS, the first 75 ids, EOS.
  std::string long_prompt;
  for (int i = 0; i < 600; ++i) long_prompt += "photo ";
  const auto raw = tok.encode_raw(long_prompt);
  EXPECT_EQ(raw.size(), 600u);
  const auto ids = tok.encode(long_prompt);
  ASSERT_EQ(ids.size(), 77u);
  EXPECT_EQ(ids[0], 49406);
  EXPECT_EQ(std::vector<int32_t>(ids.begin() + 1, ids.end() - 1), std::vector<int32_t>(raw.begin(), raw.begin() + 75));
  EXPECT_EQ(ids[76], 49407);
  // Written special tokens are the special ids, as in simple_tokenizer's BPE cache.
  EXPECT_EQ(tok.encode_raw("a <|endoftext|> b"), (std::vector<int32_t>{320, 49407, 321}));
  EXPECT_EQ(tok.encode("x", 2), (std::vector<int32_t>{49406, 49407}));
  EXPECT_THROW(tok.encode("x", 1), Error);
}

TEST(ClipTokenizer, EmojiAndUnusualTextEncode) {
  const auto& tok = shipped();
  for (const char* text : {"🐱🐶🔥✨ 👩‍👩‍👧‍👦 🇺🇦", "\xff\xfe broken \xe2\x82 utf8", "tab\tnew\nline  ", "ǅ ǈ ΣΑΣ",
                           "日本語のテキスト", "&amp;&lt;&#128512;&copy2024", "\x01\x02"}) {
    const auto ids = tok.encode(text);
    ASSERT_EQ(ids.size(), 77u) << text;
    for (int32_t id : ids) EXPECT_TRUE(id >= 0 && id < 49408) << text;
  }
  // Every emoji byte sequence is covered by byte-level symbols: a single emoji never vanishes.
  EXPECT_FALSE(tok.encode_raw("🐱").empty());
}

// Long words take the heap-ordered BPE; it must merge exactly as OpenAI's rounds do. And a
// prompt of one enormous word must not take quadratic time.
TEST(ClipTokenizer, LongWordsMergeAsTheReferenceLoop) {
  const ClipTokenizer tok = ClipTokenizer::load();
  std::mt19937 rng(42);
  const std::string letters = "abcdefghijklmnopqrstuvwxyzeeeaaoinst";
  const std::vector<std::string> chunks = {"photo", "graph", "ing", "ness", "tion", "é", "ß", "日本", "🐱", "!!", "..."};
  for (int n = 0; n < 300; ++n) {
    std::string word;
    const int len = 65 + static_cast<int>(rng() % 200);
    while (static_cast<int>(word.size()) < len)
      word += rng() % 3 ? std::string(1, letters[rng() % letters.size()]) : chunks[rng() % chunks.size()];
    std::vector<int32_t> fast, reference;
    tok.bpe().encode_word(word, fast);
    tok.bpe().encode_word_in_rounds(word, reference);
    ASSERT_EQ(fast, reference) << word;
  }
  const std::string huge(200000, 'a');
  const auto t0 = std::chrono::steady_clock::now();
  const auto ids = tok.encode(huge);
  const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  EXPECT_EQ(ids.size(), 77u);
  EXPECT_LT(ms, 5000.0);
  // Entities nested 20000 deep: ftfy's fixed-point loop is capped, so this stays fast too.
  std::string nested = "&";
  for (int i = 0; i < 20000; ++i) nested += "amp;";
  const auto t1 = std::chrono::steady_clock::now();
  EXPECT_EQ(tok.encode(nested).size(), 77u);
  EXPECT_LT(std::chrono::duration<double>(std::chrono::steady_clock::now() - t1).count(), 5.0);
}

TEST(ClipPreTokenizer, SplitsLikeThePythonPattern) {
  auto words = [](const char* s) { return clip_split_words(clip_clean_text(s)); };
  using V = std::vector<std::string>;
  EXPECT_EQ(words("It's  a\tTest!!  "), (V{"it", "'s", "a", "test", "!!"}));
  EXPECT_EQ(words("don't!<|endoftext|>"), (V{"don", "'t", "!<|", "endoftext", "|>"}));
  EXPECT_EQ(words("<|endoftext|>x"), (V{"<|endoftext|>", "x"}));
  EXPECT_EQ(words("f/1.8, 85mm"), (V{"f", "/", "1", ".", "8", ",", "8", "5", "mm"}));
  EXPECT_EQ(words("we'll they're I'VE"), (V{"we", "'ll", "they", "'re", "i", "'ve"}));
  EXPECT_EQ(words("it'\xC5\xBF"), (V{"it", "'\xC5\xBF"}));  // long s case-folds to s
  EXPECT_EQ(words("x2\xC2\xB2"), (V{"x", "2", "\xC2\xB2"}));   // superscript two is \p{N}
  EXPECT_EQ(words(""), V{});
}

TEST(ClipPreTokenizer, DecodesBrokenUtf8LikePython) {
  // bytes.decode("utf-8", "replace"): one U+FFFD per maximal ill-formed subsequence.
  const std::pair<std::string, std::u32string> cases[] = {
      {"\xE2\x82" "A", U"\uFFFDA"},        {"\xFF", U"\uFFFD"},
      {"\xF0\x9F\x98", U"\uFFFD"},         {"\xED\xA0\x80", U"\uFFFD\uFFFD\uFFFD"},
      {"\xC0\xAF", U"\uFFFD\uFFFD"},        {"\xF4\x90\x80\x80", U"\uFFFD\uFFFD\uFFFD\uFFFD"},
      {"a\xE2\x82\xAC" "b", U"a\u20ACb"}};
  for (const auto& [bytes, expected] : cases) EXPECT_EQ(utf8_to_code_points(bytes), expected);
  EXPECT_EQ(code_points_to_utf8(U"a\u20AC\U0001F431"), "a\xE2\x82\xAC\xF0\x9F\x90\xB1");
  EXPECT_EQ(utf8_sequence_length("\xE2\x82\xAC!"), 3u);
  EXPECT_EQ(utf8_sequence_length("\xE2\x82"), 0u);
}

TEST(ClipPreTokenizer, LowerCasesLikePython) {
  auto lower = [](const char* s) { return code_points_to_utf8(unicode::python_lower(utf8_to_code_points(s))); };
  EXPECT_EQ(lower("ПОРТРЕТ Ǆ"), "портрет ǆ");
  EXPECT_EQ(lower("İ"), "i\xCC\x87");
  // Greek capital sigma: final form at the end of a word, medial otherwise.
  EXPECT_EQ(lower("ΟΔΟΣ ΣΑΣ."), "οδος σας.");
  EXPECT_EQ(lower("Σ"), "σ");
  // The apostrophe is case-ignorable: it is looked through on both sides.
  EXPECT_EQ(lower("ΑΣ'Α"), "ασ'α");
  EXPECT_EQ(lower("ΑΣ'"), "ας'");
}

TEST(ClipPreTokenizer, HtmlUnescapeLikePython) {
  EXPECT_EQ(html_unescape("Tom &amp; Jerry &lt;3 &quot;x&quot;"), "Tom & Jerry <3 \"x\"");
  EXPECT_EQ(html_unescape("&#128512; &#x1F600; &#X41;"), "\xF0\x9F\x98\x80 \xF0\x9F\x98\x80 A");
  EXPECT_EQ(html_unescape("&copy2024 &notit; &amp"), "\xC2\xA9" "2024 \xC2\xAC" "it; &");
  EXPECT_EQ(html_unescape("&#128; &#0; &#1; &#xD800; &#99999999999;"), "\xE2\x82\xAC \xEF\xBF\xBD  \xEF\xBF\xBD \xEF\xBF\xBD");
  EXPECT_EQ(html_unescape("R&D & co &#; &#x; &unknown;"), "R&D & co &#; &#x; &unknown;");
  EXPECT_EQ(html_unescape("&fjlig;&NotEqualTilde;"), "fj\xE2\x89\x82\xCC\xB8");
  // CLIP unescapes twice.
  EXPECT_EQ(shipped().encode_raw("&amp;amp;"), shipped().encode_raw("&"));
}

TEST(ClipPreTokenizer, RepairsTextLikeFtfy) {
  auto fixed = [](const char* s) { return code_points_to_utf8(ftfy_fix_text(utf8_to_code_points(s))); };
  EXPECT_EQ(fixed("\xE2\x80\x9Chello\xE2\x80\x9D it\xE2\x80\x99s"), "\"hello\" it's");
  EXPECT_EQ(fixed("\xEF\xBC\xA6\xEF\xBD\x95\xEF\xBD\x8C\xEF\xBD\x8C\xE3\x80\x80x"), "Full x");  // full width, U+3000
  EXPECT_EQ(fixed("\xEF\xAC\x81ne \xC4\xB3"), "fine ij");
  EXPECT_EQ(fixed("cafe\xCC\x81"), "caf\xC3\xA9");  // NFC
  EXPECT_EQ(fixed("a\x01" "b\x1B[31mc\xEF\xBB\xBF"), "abc");
  EXPECT_EQ(fixed("\xC2\x93q\xC2\x94"), "\"q\"");  // C1 controls as Windows-1252, then uncurled
  EXPECT_EQ(fixed("&ldquo;x&rdquo; &EACUTE;"), "\"x\" \xC3\x89");
  EXPECT_EQ(fixed("<b> &ldquo;x&rdquo;"), "<b> &ldquo;x&rdquo;");  // no entity decoding once a '<' is seen
  EXPECT_EQ(fixed("r\r\nn"), "r\nn");
  EXPECT_EQ(code_points_to_utf8(unicode::nfc(utf8_to_code_points("\xE1\x84\x80\xE1\x85\xA1\xE1\x86\xA8"))), "\xEA\xB0\x81");  // Hangul
  EXPECT_EQ(code_points_to_utf8(unicode::nfc(utf8_to_code_points("a\xCC\x87\xCC\xA3"))), "\xE1\xBA\xA1\xCC\x87");  // reordered
}

TEST(ClipTokenizer, ReportsBadFiles) {
  const std::string dir = test::temp_dir();
  try {
    ClipTokenizer::load(dir);
    FAIL() << "loaded an empty folder";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("vocab.json and merges.txt"), std::string::npos) << e.what();
  }
  EXPECT_THROW(ClipTokenizer::load(dir + "/missing.json"), Error);
  write_file(dir + "/vocab.json", "{\"a\": 1,");
  write_file(dir + "/merges.txt", "#version: 0.2\na b\n");
  try {
    ClipTokenizer::load(dir);
    FAIL() << "loaded a truncated vocab.json";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("vocab.json"), std::string::npos) << e.what();
  }
  write_file(dir + "/vocab.json", "{\"a\": 1}");
  try {
    ClipTokenizer::load(dir);
    FAIL() << "loaded a vocabulary without byte symbols";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("byte symbol"), std::string::npos) << e.what();
  }
  const std::string vocab = read_text_file(data_dir() + "/tokenizers/clip/vocab.json");
  write_file(dir + "/vocab.json", vocab);
  write_file(dir + "/merges.txt", "#version: 0.2\ni n\nthis line has three\n");
  try {
    ClipTokenizer::load(dir);
    FAIL() << "loaded a malformed merges.txt";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("line 3"), std::string::npos) << e.what();
  }
  write_file(dir + "/merges.txt", "#version: 0.2\nzzzq qqq\n");
  EXPECT_THROW(ClipTokenizer::load(dir), Error);
  write_file(dir + "/bad.txt.gz", "not gzip at all");
  EXPECT_THROW(ClipTokenizer::load(dir + "/bad.txt.gz"), Error);
}

}  // namespace
}  // namespace fluxgen
