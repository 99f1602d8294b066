#include "text/unigram_model.h"

#include <algorithm>
#include <cstdio>
#include <limits>

#include "util/error.h"

namespace fluxgen {

namespace {
constexpr float kUnkPenalty = 10.0f;

// SentencePiece's OneCharLen: the length a UTF-8 lead byte announces (1 for stray bytes).
size_t one_char_len(unsigned char lead) {
  static constexpr unsigned char kLen[16] = {1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 3, 4};
  return kLen[lead >> 4];
}

uint64_t edge_key(int32_t node, unsigned char byte) { return (static_cast<uint64_t>(node) << 8) | byte; }
}  // namespace

UnigramModel::UnigramModel(std::vector<UnigramPiece> pieces, bool byte_fallback, const std::string& what)
    : pieces_(std::move(pieces)), byte_fallback_(byte_fallback) {
  check(!pieces_.empty(), what, ": the vocabulary is empty");
  min_score_ = std::numeric_limits<float>::max();
  max_score_ = std::numeric_limits<float>::lowest();
  size_t trie_bytes = 0;
  for (size_t id = 0; id < pieces_.size(); ++id) {
    const UnigramPiece& p = pieces_[id];
    if (p.kind == UnigramPiece::Kind::Unknown) {
      check(unk_id_ < 0, what, ": pieces ", unk_id_, " and ", id, " are both the unknown piece");
      unk_id_ = static_cast<int32_t>(id);
    }
    if (p.kind == UnigramPiece::Kind::Normal) {
      min_score_ = std::min(min_score_, p.score);
      max_score_ = std::max(max_score_, p.score);
    }
    trie_bytes += p.text.size();
  }
  check(unk_id_ >= 0, what, ": the vocabulary has no unknown piece");
  check(min_score_ <= max_score_, what, ": the vocabulary has no normal pieces");

  edges_.reserve(trie_bytes);
  piece_at_.assign(1, -1);
  for (size_t id = 0; id < pieces_.size(); ++id) {
    const UnigramPiece& p = pieces_[id];
    const bool segmenting = p.kind == UnigramPiece::Kind::Normal || p.kind == UnigramPiece::Kind::UserDefined ||
                            p.kind == UnigramPiece::Kind::Unused;
    if (!segmenting) continue;
    check(!p.text.empty(), what, ": piece ", id, " is empty");
    int32_t node = 0;
    for (char ch : p.text) {
      const auto b = static_cast<unsigned char>(ch);
      auto [it, inserted] = edges_.try_emplace(edge_key(node, b), static_cast<int32_t>(piece_at_.size()));
      if (inserted) piece_at_.push_back(-1);
      node = it->second;
    }
    // A piece listed twice keeps its first id, like SentencePiece's piece map.
    if (piece_at_[static_cast<size_t>(node)] < 0) piece_at_[static_cast<size_t>(node)] = static_cast<int32_t>(id);
  }

  if (byte_fallback_) {
    std::unordered_map<std::string, int32_t> byte_pieces;
    for (size_t id = 0; id < pieces_.size(); ++id)
      if (pieces_[id].kind == UnigramPiece::Kind::Byte) byte_pieces.emplace(pieces_[id].text, static_cast<int32_t>(id));
    for (int b = 0; b < 256; ++b) {
      char name[8];
      std::snprintf(name, sizeof(name), "<0x%02X>", b);
      auto it = byte_pieces.find(name);
      check(it != byte_pieces.end(), what, ": byte_fallback is on but the vocabulary lacks the piece ", name);
      byte_ids_[b] = it->second;
    }
  }
}

int32_t UnigramModel::child(int32_t node, unsigned char byte) const {
  auto it = edges_.find(edge_key(node, byte));
  return it == edges_.end() ? -1 : it->second;
}

std::vector<int32_t> UnigramModel::encode(std::string_view text) const {
  struct Best {
    int32_t id = -1;
    float score = 0.0f;
    int64_t starts_at = -1;
  };
  const size_t size = text.size();
  const float unk_score = min_score_ - kUnkPenalty;
  std::vector<Best> best(size + 1);
  size_t start = 0;
  while (start < size) {
    const float score_here = best[start].score;
    const size_t char_len = std::min(one_char_len(static_cast<unsigned char>(text[start])), size - start);
    bool has_single_char_piece = false;
    int32_t node = 0;
    for (size_t end = start; end < size;) {
      node = child(node, static_cast<unsigned char>(text[end]));
      if (node < 0) break;
      ++end;
      const int32_t id = piece_at_[static_cast<size_t>(node)];
      if (id < 0) continue;
      const UnigramPiece& p = pieces_[static_cast<size_t>(id)];
      if (p.kind == UnigramPiece::Kind::Unused) continue;
      const size_t length = end - start;
      // User-defined symbols get a bonus so that they are always picked whole. SentencePiece's
      // expression for the score has type double (the bonus is `length * max_score - 0.1`), so
      // the candidate path score is a double compared against the stored float: that decides
      // near-ties ("▁fi" + "......" + "." over "▁fi" + "." + "......"), so it is kept here.
      const double score = p.kind == UnigramPiece::Kind::UserDefined
                               ? static_cast<double>(length) * max_score_ - 0.1
                               : static_cast<double>(p.score);
      const double candidate = score + static_cast<double>(score_here);
      Best& target = best[end];
      if (target.starts_at < 0 || candidate > static_cast<double>(target.score))
        target = {id, static_cast<float>(candidate), static_cast<int64_t>(start)};
      if (length == char_len) has_single_char_piece = true;
    }
    if (!has_single_char_piece) {
      const float candidate = unk_score + score_here;  // float + float, as in SentencePiece
      Best& target = best[start + char_len];
      if (target.starts_at < 0 || candidate > target.score)
        target = {unk_id_, candidate, static_cast<int64_t>(start)};
    }
    start += char_len;
  }
  // Back from the end along the best path.
  std::vector<std::pair<int32_t, std::string_view>> path;
  for (size_t end = size; end > 0;) {
    const Best& b = best[end];
    const auto begin = static_cast<size_t>(b.starts_at);
    path.emplace_back(b.id, text.substr(begin, end - begin));
    end = begin;
  }
  std::vector<int32_t> ids;
  ids.reserve(path.size());
  bool prev_unknown = false;
  for (auto it = path.rbegin(); it != path.rend(); ++it) {
    const bool unknown = it->first == unk_id_;
    if (unknown && byte_fallback_) {
      for (char c : it->second) ids.push_back(byte_ids_[static_cast<unsigned char>(c)]);
    } else if (!(unknown && prev_unknown)) {
      // SentencePieceProcessor merges a run of unknown pieces into one <unk> (HF's fuse_unk).
      ids.push_back(it->first);
    }
    prev_unknown = unknown;
  }
  return ids;
}

}  // namespace fluxgen
