// CLIP's tokenizer (OpenAI's simple_tokenizer, which transformers' CLIPTokenizer reproduces):
// the text preparation and word split of clip_pre_tokenizer.h (ftfy's repairs but its mojibake
// heuristic included), then byte-level BPE. FLUX feeds
// CLIP-L 77 ids: <|startoftext|>, at most 75 word ids, <|endoftext|>, then <|endoftext|> as
// padding (what diffusers and Forge pass; OpenAI's own clip.tokenize pads with 0 instead).
//
// Reads either form of the vocabulary:
//  - vocab.json + merges.txt (a diffusers/transformers `tokenizer/` folder);
//  - OpenAI's bpe_simple_vocab_16e6.txt.gz (the vocabulary is rebuilt from the merges as
//    simple_tokenizer.py does; needs zlib).
#pragma once
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "text/byte_level_bpe.h"

namespace fluxgen {

class ClipTokenizer {
 public:
  static constexpr size_t kContextLength = 77;

  // `path`: a folder holding vocab.json and merges.txt or bpe_simple_vocab_16e6.txt.gz, one of
  // those files, or "" for the copy shipped in fluxgen's data folder (tokenizers/clip).
  static ClipTokenizer load(const std::string& path = "");
  static ClipTokenizer from_vocab_and_merges(std::string_view vocab_json, std::string_view merges_txt,
                                             const std::string& what);
  static ClipTokenizer from_openai_bpe(std::string_view bpe_txt, const std::string& what);

  // <|startoftext|>, the first length-2 ids, <|endoftext|>, padded with <|endoftext|> to `length`.
  std::vector<int32_t> encode(std::string_view text, size_t length = kContextLength) const;
  // The word ids alone: no special tokens, no truncation, no padding.
  std::vector<int32_t> encode_raw(std::string_view text) const;

  int32_t bos_id() const { return bos_; }
  int32_t eos_id() const { return eos_; }
  int32_t pad_id() const { return eos_; }
  size_t vocab_size() const { return bpe_.vocab_size(); }
  const std::string& source() const { return source_; }
  const ByteLevelBpe& bpe() const { return bpe_; }

 private:
  ClipTokenizer(ByteLevelBpe bpe, std::string source);
  ByteLevelBpe bpe_;
  std::string source_;
  int32_t bos_ = 0, eos_ = 0;
};

}  // namespace fluxgen
