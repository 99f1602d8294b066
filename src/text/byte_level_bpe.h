// Byte-level BPE as CLIP uses it (OpenAI's simple_tokenizer.bpe): a word's UTF-8 bytes, each
// written as one printable character (bytes_to_unicode), the last one carrying the end-of-word
// mark "</w>"; then, repeatedly, every occurrence of the adjacent pair with the lowest merge rank
// is merged, left to right, until no ranked pair remains. Symbols are vocabulary ids throughout:
// loading checks that every byte symbol and every merge result is in the vocabulary, so encoding
// can never meet an unknown symbol.
#pragma once
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

namespace fluxgen {

class ByteLevelBpe {
 public:
  ByteLevelBpe() = default;
  // `vocab` maps byte-level token strings ("hello</w>") to ids; `merges` lists pairs by rank.
  // `what` names the source in errors.
  ByteLevelBpe(std::unordered_map<std::string, int32_t> vocab,
               const std::vector<std::pair<std::string_view, std::string_view>>& merges, const std::string& what);

  // Appends the ids of one word given as raw UTF-8.
  void encode_word(std::string_view word, std::vector<int32_t>& out) const;
  // The same through OpenAI's O(n^2) loop alone: the reference encode_word is tested against.
  void encode_word_in_rounds(std::string_view word, std::vector<int32_t>& out) const;
  std::optional<int32_t> id_of(const std::string& token) const;
  size_t vocab_size() const { return vocab_.size(); }

  // The printable character standing for each byte (GPT-2's bytes_to_unicode), as UTF-8.
  static const std::array<std::string, 256>& byte_symbols();

 private:
  // The word's bytes as symbols, the last with </w>.
  std::vector<int32_t> byte_symbols_of(std::string_view word) const;
  // OpenAI's loop: repeated rounds over the word, O(n^2).
  void merge_in_rounds(std::vector<int32_t>& symbols) const;
  // The same result in O(n log n) for long words; false when the merges file is not ordered the
  // way BPE training orders it (then the rounds are used).
  bool merge_with_heap(std::vector<int32_t>& symbols) const;
  std::unordered_map<std::string, int32_t> vocab_;
  std::array<int32_t, 256> byte_id_{};      // "a"
  std::array<int32_t, 256> byte_end_id_{};  // "a</w>"
  struct Merge {
    int32_t rank;
    int32_t result;
  };
  std::unordered_map<uint64_t, Merge> merges_;  // (left id << 32 | right id) -> merge
};

}  // namespace fluxgen
