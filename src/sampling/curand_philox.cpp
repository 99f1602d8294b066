#include "sampling/curand_philox.h"

namespace fluxgen::sampling {
namespace {

constexpr uint32_t kWeyl0 = 0x9E3779B9u;  // key schedule increments
constexpr uint32_t kWeyl1 = 0xBB67AE85u;
constexpr uint32_t kMul0 = 0xD2511F53u;  // round multipliers
constexpr uint32_t kMul1 = 0xCD9E8D57u;

Words4 philox_round(const Words4& c, uint32_t k0, uint32_t k1) {
  const uint64_t p0 = static_cast<uint64_t>(kMul0) * c[0];
  const uint64_t p1 = static_cast<uint64_t>(kMul1) * c[2];
  return {static_cast<uint32_t>(p1 >> 32) ^ c[1] ^ k0, static_cast<uint32_t>(p1),
          static_cast<uint32_t>(p0 >> 32) ^ c[3] ^ k1, static_cast<uint32_t>(p0)};
}

}  // namespace

Words4 philox4x32_10(Words4 counter, uint32_t key_lo, uint32_t key_hi) {
  for (int round = 0; round < 10; ++round) {
    counter = philox_round(counter, key_lo, key_hi);
    key_lo += kWeyl0;
    key_hi += kWeyl1;
  }
  return counter;
}

CurandPhiloxState::CurandPhiloxState(uint64_t seed, uint64_t subsequence, uint64_t offset)
    : key_lo_(static_cast<uint32_t>(seed)), key_hi_(static_cast<uint32_t>(seed >> 32)) {
  // skipahead_sequence(subsequence)
  increment_high(subsequence);
  output_ = philox4x32_10(counter_, key_lo_, key_hi_);
  // skipahead(offset): whole blocks of four, then a word index inside the block.
  word_ += static_cast<uint32_t>(offset & 3);
  uint64_t blocks = offset / 4;
  if (word_ > 3) {
    blocks += 1;
    word_ -= 4;
  }
  increment_by(blocks);
  output_ = philox4x32_10(counter_, key_lo_, key_hi_);
}

void CurandPhiloxState::increment() {
  for (auto& w : counter_)
    if (++w != 0) return;
}

void CurandPhiloxState::increment_by(uint64_t n) {
  const auto lo = static_cast<uint32_t>(n);
  auto hi = static_cast<uint32_t>(n >> 32);
  counter_[0] += lo;
  if (counter_[0] < lo) ++hi;
  counter_[1] += hi;
  // cuRAND's carry test (kept as is: it decides when z and w move).
  if (hi <= counter_[1]) return;
  if (++counter_[2] != 0) return;
  ++counter_[3];
}

void CurandPhiloxState::increment_high(uint64_t n) {
  const auto lo = static_cast<uint32_t>(n);
  auto hi = static_cast<uint32_t>(n >> 32);
  counter_[2] += lo;
  if (counter_[2] < lo) ++hi;
  counter_[3] += hi;
}

Words4 CurandPhiloxState::next4() {
  const Words4 current = output_;
  increment();
  output_ = philox4x32_10(counter_, key_lo_, key_hi_);
  Words4 r;
  for (uint32_t i = 0; i < 4; ++i) {
    const uint32_t k = word_ + i;
    r[i] = k < 4 ? current[k] : output_[k - 4];
  }
  return r;
}

}  // namespace fluxgen::sampling
