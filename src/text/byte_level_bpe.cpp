#include "text/byte_level_bpe.h"

#include <functional>
#include <limits>
#include <queue>

#include "util/error.h"
#include "util/utf8.h"

namespace fluxgen {

namespace {
constexpr std::string_view kEndOfWord = "</w>";

uint64_t pair_key(int32_t a, int32_t b) {
  return (static_cast<uint64_t>(static_cast<uint32_t>(a)) << 32) | static_cast<uint32_t>(b);
}
}  // namespace

const std::array<std::string, 256>& ByteLevelBpe::byte_symbols() {
  static const std::array<std::string, 256> symbols = [] {
    // Printable Latin-1 bytes stand for themselves; the others get U+0100 onwards, in byte order.
    std::array<std::string, 256> s;
    char32_t next = 256;
    for (int b = 0; b < 256; ++b) {
      const bool printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
      append_utf8(s[static_cast<size_t>(b)], printable ? static_cast<char32_t>(b) : next++);
    }
    return s;
  }();
  return symbols;
}

ByteLevelBpe::ByteLevelBpe(std::unordered_map<std::string, int32_t> vocab,
                           const std::vector<std::pair<std::string_view, std::string_view>>& merges,
                           const std::string& what)
    : vocab_(std::move(vocab)) {
  const auto& symbols = byte_symbols();
  for (size_t b = 0; b < 256; ++b) {
    auto plain = vocab_.find(symbols[b]);
    std::string with_end = symbols[b];
    with_end += kEndOfWord;
    auto end = vocab_.find(with_end);
    if (plain == vocab_.end() || end == vocab_.end())
      fail(what, ": the vocabulary lacks the byte symbol \"", plain == vocab_.end() ? symbols[b] : with_end,
           "\" (byte ", b, "); not a byte-level BPE vocabulary");
    byte_id_[b] = plain->second;
    byte_end_id_[b] = end->second;
  }
  merges_.reserve(merges.size() * 2);
  std::string joined;
  for (size_t rank = 0; rank < merges.size(); ++rank) {
    const auto& [left, right] = merges[rank];
    joined.assign(left).append(right);
    auto a = vocab_.find(std::string(left)), b = vocab_.find(std::string(right)), r = vocab_.find(joined);
    if (a == vocab_.end() || b == vocab_.end() || r == vocab_.end())
      fail(what, ": merge ", rank + 1, " \"", left, " ", right, "\" uses or makes a token missing from the vocabulary");
    // A pair listed twice takes its last rank, as Python's dict(zip(merges, range(len(merges)))).
    merges_[pair_key(a->second, b->second)] = Merge{static_cast<int32_t>(rank), r->second};
  }
}

std::optional<int32_t> ByteLevelBpe::id_of(const std::string& token) const {
  auto it = vocab_.find(token);
  if (it == vocab_.end()) return std::nullopt;
  return it->second;
}

void ByteLevelBpe::merge_in_rounds(std::vector<int32_t>& symbols) const {
  std::vector<int32_t> next;
  next.reserve(symbols.size());
  while (symbols.size() > 1) {
    // The lowest-ranked adjacent pair; all its occurrences merge, left to right.
    int32_t best_rank = std::numeric_limits<int32_t>::max();
    int32_t left = 0, right = 0, result = 0;
    for (size_t i = 0; i + 1 < symbols.size(); ++i) {
      auto it = merges_.find(pair_key(symbols[i], symbols[i + 1]));
      if (it != merges_.end() && it->second.rank < best_rank) {
        best_rank = it->second.rank;
        left = symbols[i];
        right = symbols[i + 1];
        result = it->second.result;
      }
    }
    if (best_rank == std::numeric_limits<int32_t>::max()) break;
    next.clear();
    for (size_t i = 0; i < symbols.size();) {
      if (i + 1 < symbols.size() && symbols[i] == left && symbols[i + 1] == right) {
        next.push_back(result);
        i += 2;
      } else {
        next.push_back(symbols[i]);
        ++i;
      }
    }
    symbols.swap(next);
  }
}

bool ByteLevelBpe::merge_with_heap(std::vector<int32_t>& symbols) const {
  // The same merges in O(n log n): candidate pairs in a heap ordered by (rank, position), over a
  // linked list of symbols. Popping equal ranks leftmost first merges a pair's occurrences left
  // to right as the rounds do. It equals the rounds as long as a merge never makes a pair ranked
  // before the one just merged; a merges file where it does is left to the rounds (false).
  const int32_t n = static_cast<int32_t>(symbols.size());
  std::vector<int32_t> prev(static_cast<size_t>(n)), next(static_cast<size_t>(n));
  std::vector<char> alive(static_cast<size_t>(n), 1);
  for (int32_t i = 0; i < n; ++i) {
    prev[static_cast<size_t>(i)] = i - 1;
    next[static_cast<size_t>(i)] = i + 1 < n ? i + 1 : -1;
  }
  struct Candidate {
    int32_t rank, pos, left, right;
    bool operator>(const Candidate& o) const { return rank != o.rank ? rank > o.rank : pos > o.pos; }
  };
  std::priority_queue<Candidate, std::vector<Candidate>, std::greater<>> heap;
  auto push = [&](int32_t pos) {
    const int32_t nx = next[static_cast<size_t>(pos)];
    if (pos < 0 || nx < 0) return;
    auto it = merges_.find(pair_key(symbols[static_cast<size_t>(pos)], symbols[static_cast<size_t>(nx)]));
    if (it != merges_.end())
      heap.push({it->second.rank, pos, symbols[static_cast<size_t>(pos)], symbols[static_cast<size_t>(nx)]});
  };
  for (int32_t i = 0; i + 1 < n; ++i) push(i);
  while (!heap.empty()) {
    const Candidate c = heap.top();
    heap.pop();
    const auto p = static_cast<size_t>(c.pos);
    const int32_t nx = next[p];
    if (!alive[p] || nx < 0 || symbols[p] != c.left || symbols[static_cast<size_t>(nx)] != c.right) continue;
    symbols[p] = merges_.at(pair_key(c.left, c.right)).result;
    alive[static_cast<size_t>(nx)] = 0;
    next[p] = next[static_cast<size_t>(nx)];
    if (next[p] >= 0) prev[static_cast<size_t>(next[p])] = c.pos;
    for (const int32_t q : {prev[p], c.pos}) {
      if (q < 0 || next[static_cast<size_t>(q)] < 0) continue;
      auto it = merges_.find(pair_key(symbols[static_cast<size_t>(q)], symbols[static_cast<size_t>(next[static_cast<size_t>(q)])]));
      if (it == merges_.end()) continue;
      if (it->second.rank < c.rank) return false;
      push(q);
    }
  }
  std::vector<int32_t> merged;
  merged.reserve(static_cast<size_t>(n));
  for (int32_t i = 0; i >= 0 && i < n; i = next[static_cast<size_t>(i)]) merged.push_back(symbols[static_cast<size_t>(i)]);
  symbols.swap(merged);
  return true;
}

std::vector<int32_t> ByteLevelBpe::byte_symbols_of(std::string_view word) const {
  std::vector<int32_t> symbols;
  symbols.reserve(word.size());
  for (size_t i = 0; i < word.size(); ++i) {
    const auto b = static_cast<unsigned char>(word[i]);
    symbols.push_back(i + 1 == word.size() ? byte_end_id_[b] : byte_id_[b]);
  }
  return symbols;
}

void ByteLevelBpe::encode_word_in_rounds(std::string_view word, std::vector<int32_t>& out) const {
  std::vector<int32_t> symbols = byte_symbols_of(word);
  merge_in_rounds(symbols);
  out.insert(out.end(), symbols.begin(), symbols.end());
}

void ByteLevelBpe::encode_word(std::string_view word, std::vector<int32_t>& out) const {
  if (word.empty()) return;
  std::vector<int32_t> symbols = byte_symbols_of(word);
  // Short words (nearly all) merge faster in rounds; long ones need the heap's O(n log n).
  std::vector<int32_t> original;
  if (symbols.size() > 64) original = symbols;
  if (symbols.size() <= 64 || !merge_with_heap(symbols)) {
    if (!original.empty()) symbols = original;
    merge_in_rounds(symbols);
  }
  out.insert(out.end(), symbols.begin(), symbols.end());
}

}  // namespace fluxgen
