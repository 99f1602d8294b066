// SentencePiece's precompiled normalization rules (the `precompiled_charsmap` of a model's
// normalizer spec, also carried base64-encoded in tokenizer.json's "Precompiled" normalizer).
// The blob is: a little-endian uint32 N, N bytes of a Darts-clone double-array trie over UTF-8
// input prefixes, then the replacement strings, each NUL-terminated; a trie leaf's value is the
// offset of its replacement. T5's charsmap implements NFKC plus SentencePiece's extra rules
// (control characters dropped, odd spaces to ' ', ...).
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace fluxgen {

class PrecompiledCharsmap {
 public:
  PrecompiledCharsmap() = default;
  // Validates the blob's structure; `what` names its source in errors.
  PrecompiledCharsmap(std::string_view blob, const std::string& what);

  struct Match {
    std::string_view replacement;
    size_t consumed;  // input bytes the replacement stands for
  };
  // The longest rule matching a prefix of `input`, if any.
  std::optional<Match> longest_prefix(std::string_view input) const;
  bool empty() const { return units_.empty(); }

 private:
  std::vector<uint32_t> units_;  // the double array
  std::string replacements_;
};

}  // namespace fluxgen
