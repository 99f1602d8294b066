// SentencePiece's Unigram segmentation (unigram_model.cc, the Viterbi of EncodeOptimized): over
// normalized text, every vocabulary piece starting at each character is a candidate edge scored
// by its log-probability; a character no single-character piece covers gets an unknown edge
// scored min_score - 10; the best-scoring path, summed in float as SentencePiece does, wins (on
// ties the earlier-starting, i.e. longer, piece). A run of unknown characters comes out as one
// <unk> (SentencePieceProcessor merges them); with byte_fallback each unknown character is written
// as its UTF-8 bytes (<0xE2> ...) instead.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace fluxgen {

struct UnigramPiece {
  enum class Kind : uint8_t { Normal, Unknown, Control, UserDefined, Unused, Byte };
  std::string text;
  float score = 0.0f;
  Kind kind = Kind::Normal;
};

class UnigramModel {
 public:
  UnigramModel() = default;
  // Piece ids are positions in `pieces`; exactly one must be Unknown. `what` names the source.
  UnigramModel(std::vector<UnigramPiece> pieces, bool byte_fallback, const std::string& what);

  std::vector<int32_t> encode(std::string_view normalized) const;

  size_t size() const { return pieces_.size(); }
  const UnigramPiece& piece(int32_t id) const { return pieces_[static_cast<size_t>(id)]; }
  int32_t unk_id() const { return unk_id_; }

 private:
  // A byte trie over the pieces that take part in segmentation: node 0 is the root; edges are
  // found by (node << 8 | byte); piece_at_[node] is the piece ending there, or -1.
  int32_t child(int32_t node, unsigned char byte) const;
  std::vector<UnigramPiece> pieces_;
  std::unordered_map<uint64_t, int32_t> edges_;
  std::vector<int32_t> piece_at_;
  int32_t unk_id_ = -1;
  float min_score_ = 0.0f, max_score_ = 0.0f;
  bool byte_fallback_ = false;
  int32_t byte_ids_[256] = {};
};

}  // namespace fluxgen
