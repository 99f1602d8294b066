// T5's tokenizer: SentencePiece Unigram over T5's 32k vocabulary, then `</s>` (id 1) and padding
// with `<pad>` (id 0). FLUX feeds T5-XXL 512 ids (diffusers' max_sequence_length; Forge's
// default). Golden ids come from Google's SentencePiece on T5's spiece.model.
//
// Two sources:
//  - tokenizer.json (HF fast-tokenizer file, shipped in fluxgen's data folder): the pieces and
//    scores, the unknown id, byte_fallback, the precompiled NFKC charsmap and Metaspace's prefix
//    setting are read from it, and fluxgen's own normalizer and Viterbi (sentencepiece_normalizer.h,
//    unigram_model.h) reproduce SentencePiece exactly. Its added special tokens (<pad>, </s>, <unk>,
//    <extra_id_N>) are SentencePiece control pieces: they never come out of text, as with
//    spiece.model (HF's fast tokenizer would match "<extra_id_0>" written in a prompt).
//  - spiece.model: read by Google's libsentencepiece when fluxgen is built with it
//    (FLUXGEN_WITH_SENTENCEPIECE); otherwise loading one is an error that says so.
//
// HF's fast tokenizer (what diffusers and Forge run) gives the same ids: its Strip/Replace
// normalizers and Metaspace reproduce SentencePiece's white-space rules and it fuses runs of
// unknown characters into one <unk> as SentencePiece does. Rare differences remain where its
// charsmap lookup works per grapheme cluster instead of by longest prefix.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace fluxgen {

// Text -> piece ids, without special tokens.
class SubwordEncoder {
 public:
  virtual ~SubwordEncoder() = default;
  virtual std::vector<int32_t> encode(std::string_view text) const = 0;
};

class T5Tokenizer {
 public:
  static constexpr size_t kMaxLength = 512;

  // `path`: tokenizer.json, spiece.model, a folder holding one (a diffusers tokenizer_2/ folder;
  // tokenizer.json preferred), or "" for the copy shipped in fluxgen's data folder (tokenizers/t5).
  static T5Tokenizer load(const std::string& path = "");
  static T5Tokenizer from_tokenizer_json(std::string_view json_text, const std::string& what);

  // The ids, cut to max_len - 1, then </s>, padded with <pad> to max_len.
  std::vector<int32_t> encode(std::string_view text, size_t max_len = kMaxLength) const;
  // The ids alone: no </s>, no truncation, no padding.
  std::vector<int32_t> encode_raw(std::string_view text) const;

  int32_t eos_id() const { return eos_; }
  int32_t pad_id() const { return pad_; }
  size_t vocab_size() const { return vocab_size_; }
  const std::string& source() const { return source_; }

 private:
  T5Tokenizer(std::shared_ptr<const SubwordEncoder> encoder, int32_t eos, int32_t pad, size_t vocab_size,
              std::string source);
  std::shared_ptr<const SubwordEncoder> encoder_;
  int32_t eos_ = 1, pad_ = 0;
  size_t vocab_size_ = 0;
  std::string source_;
};

}  // namespace fluxgen
