#include "text/clip_tokenizer.h"

#include <algorithm>
#include <filesystem>

#include "io/gzip_file.h"
#include "io/json.h"
#include "io/mapped_file.h"
#include "text/clip_pre_tokenizer.h"
#include "util/data_files.h"
#include "util/error.h"
#include "util/strings.h"

namespace fluxgen {

namespace {
namespace fs = std::filesystem;

constexpr std::string_view kBos = "<|startoftext|>", kEos = "<|endoftext|>";
constexpr const char* kOpenAiFile = "bpe_simple_vocab_16e6.txt.gz";
// simple_tokenizer.py keeps merges[1 : 49152 - 256 - 2 + 1] of the file: 48894 of them, so that
// 256 bytes + 256 bytes with </w> + merges + 2 special tokens make the 49408-token vocabulary.
constexpr size_t kOpenAiMerges = 49152 - 256 - 2;

using MergeList = std::vector<std::pair<std::string_view, std::string_view>>;

// Lines after the "#version" header, each "left right". At most `limit` merges are read.
MergeList parse_merges(std::string_view text, size_t limit, const std::string& what) {
  MergeList merges;
  size_t pos = 0, line_no = 0;
  while (pos < text.size() && merges.size() < limit) {
    size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(pos, end - pos);
    pos = end + 1;
    if (++line_no == 1) continue;  // the header line
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty()) continue;
    const size_t space = line.find(' ');
    if (space == 0 || space == std::string_view::npos || space + 1 == line.size() ||
        line.find(' ', space + 1) != std::string_view::npos)
      fail(what, ": line ", line_no, " is not a merge \"left right\": \"", line, "\"");
    merges.emplace_back(line.substr(0, space), line.substr(space + 1));
  }
  check(!merges.empty(), what, ": no merges found");
  return merges;
}

std::string merge_string(std::string_view a, std::string_view b) {
  std::string s(a);
  s += b;
  return s;
}
}  // namespace

ClipTokenizer::ClipTokenizer(ByteLevelBpe bpe, std::string source) : bpe_(std::move(bpe)), source_(std::move(source)) {
  const auto bos = bpe_.id_of(std::string(kBos)), eos = bpe_.id_of(std::string(kEos));
  if (!bos || !eos) fail(source_, ": the vocabulary lacks ", !bos ? kBos : kEos);
  bos_ = *bos;
  eos_ = *eos;
}

ClipTokenizer ClipTokenizer::from_vocab_and_merges(std::string_view vocab_json, std::string_view merges_txt,
                                                   const std::string& what) {
  const json::Value doc = json::parse(vocab_json, what + " (vocab.json)");
  if (!doc.is_object()) fail(what, ": vocab.json must be a JSON object {token: id}");
  std::unordered_map<std::string, int32_t> vocab;
  vocab.reserve(doc.as_object().size() * 2);
  for (const auto& [token, id] : doc.as_object()) {
    if (!id.is_integer() || id.as_int() < 0 || id.as_int() > INT32_MAX)
      fail(what, ": vocab.json gives token \"", token, "\" the id ", id.dump(), "; expected an integer >= 0");
    vocab[token] = static_cast<int32_t>(id.as_int());
  }
  const MergeList merges = parse_merges(merges_txt, SIZE_MAX, what + " (merges.txt)");
  return ClipTokenizer(ByteLevelBpe(std::move(vocab), merges, what), what);
}

ClipTokenizer ClipTokenizer::from_openai_bpe(std::string_view bpe_txt, const std::string& what) {
  const MergeList merges = parse_merges(bpe_txt, kOpenAiMerges, what);
  // The vocabulary in simple_tokenizer.py's order: byte symbols, the same with </w>, merge
  // results, specials. Byte symbols come in bytes_to_unicode()'s order: the printable bytes
  // (which stand for themselves, below U+0100) first, then the others (U+0100 onwards).
  std::vector<std::string> byte_tokens(ByteLevelBpe::byte_symbols().begin(), ByteLevelBpe::byte_symbols().end());
  std::stable_partition(byte_tokens.begin(), byte_tokens.end(),
                        [](const std::string& s) { return static_cast<unsigned char>(s[0]) < 0xC4; });
  std::vector<std::string> tokens;
  tokens.reserve(512 + merges.size() + 2);
  for (const auto& s : byte_tokens) tokens.push_back(s);
  for (const auto& s : byte_tokens) tokens.push_back(merge_string(s, "</w>"));
  for (const auto& [a, b] : merges) tokens.push_back(merge_string(a, b));
  tokens.emplace_back(kBos);
  tokens.emplace_back(kEos);
  std::unordered_map<std::string, int32_t> vocab;
  vocab.reserve(tokens.size() * 2);
  // dict(zip(vocab, range(len(vocab)))): a repeated token keeps its last index.
  for (size_t i = 0; i < tokens.size(); ++i) vocab[tokens[i]] = static_cast<int32_t>(i);
  return ClipTokenizer(ByteLevelBpe(std::move(vocab), merges, what), what);
}

ClipTokenizer ClipTokenizer::load(const std::string& path_in) {
  const std::string path = path_in.empty() ? find_data_path("tokenizers/clip") : path_in;
  std::error_code ec;
  if (fs::is_directory(path, ec)) {
    const fs::path dir(path);
    if (fs::exists(dir / "vocab.json", ec) && fs::exists(dir / "merges.txt", ec))
      return from_vocab_and_merges(read_text_file((dir / "vocab.json").string()),
                                   read_text_file((dir / "merges.txt").string()), path);
    if (fs::exists(dir / kOpenAiFile, ec)) return load((dir / kOpenAiFile).string());
    fail(path, ": no CLIP tokenizer here (expected vocab.json and merges.txt, or ", kOpenAiFile, ")");
  }
  if (!fs::exists(path, ec)) fail(path, ": CLIP tokenizer file not found");
  if (ends_with(path, ".gz")) return from_openai_bpe(read_gzip_file(path), path);
  const fs::path p(path);
  if (p.filename() == "vocab.json" || p.filename() == "merges.txt") return load(p.parent_path().string());
  return from_openai_bpe(read_text_file(path), path);
}

std::vector<int32_t> ClipTokenizer::encode_raw(std::string_view text) const {
  std::vector<int32_t> ids;
  for (const std::string& word : clip_split_words(clip_clean_text(text))) {
    // simple_tokenizer's BPE cache starts with the two special tokens, so they map to themselves.
    if (word == kBos) ids.push_back(bos_);
    else if (word == kEos) ids.push_back(eos_);
    else bpe_.encode_word(word, ids);
  }
  return ids;
}

std::vector<int32_t> ClipTokenizer::encode(std::string_view text, size_t length) const {
  check(length >= 2, "CLIP tokenizer: a context of ", length, " tokens cannot hold the start and end tokens");
  std::vector<int32_t> words = encode_raw(text);
  if (words.size() > length - 2) words.resize(length - 2);
  std::vector<int32_t> ids;
  ids.reserve(length);
  ids.push_back(bos_);
  ids.insert(ids.end(), words.begin(), words.end());
  ids.push_back(eos_);
  ids.resize(length, pad_id());
  return ids;
}

}  // namespace fluxgen
