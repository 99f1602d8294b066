// SentencePiece's normalizer (normalizer.cc), which T5's golden ids come from: the input is read
// as a sequence of longest charsmap matches (or single characters; an ill-formed byte becomes
// U+FFFD); with remove_extra_whitespaces, leading spaces are dropped, runs of spaces become one and
// trailing spaces go; with add_dummy_prefix the text starts with a space; with
// escape_whitespaces every space is written as U+2581 "▁". HF's fast T5 tokenizer approximates
// the same with its Precompiled + Strip + Replace normalizers and the Metaspace pre-tokenizer.
#pragma once
#include <string>
#include <string_view>

#include "text/precompiled_charsmap.h"

namespace fluxgen {

struct NormalizerSpec {
  bool add_dummy_prefix = true;
  bool remove_extra_whitespaces = true;
  bool escape_whitespaces = true;
};

class SentencePieceNormalizer {
 public:
  SentencePieceNormalizer() = default;
  SentencePieceNormalizer(PrecompiledCharsmap charsmap, NormalizerSpec spec)
      : charsmap_(std::move(charsmap)), spec_(spec) {}
  std::string normalize(std::string_view text) const;

 private:
  // One normalization step at the start of `input`: the replacement text and the bytes consumed.
  std::pair<std::string_view, size_t> next_piece(std::string_view input) const;
  PrecompiledCharsmap charsmap_;
  NormalizerSpec spec_;
};

}  // namespace fluxgen
