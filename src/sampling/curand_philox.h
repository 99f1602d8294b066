// cuRAND's Philox4x32-10 device generator (curand_philox4x32_x.h, curand_kernel.h), on the CPU.
// Integer-exact: the same 32-bit words a GPU thread draws for the same (seed, subsequence, offset).
#pragma once
#include <array>
#include <cstdint>

namespace fluxgen::sampling {

using Words4 = std::array<uint32_t, 4>;

// Philox4x32 with 10 rounds: the counter-based block function.
Words4 philox4x32_10(Words4 counter, uint32_t key_lo, uint32_t key_hi);

// curandStatePhilox4_32_10_t with curand_init / curand4 semantics.
class CurandPhiloxState {
 public:
  // curand_init(seed, subsequence, offset): subsequence advances the high 64 bits of the counter,
  // offset skips that many 32-bit outputs.
  CurandPhiloxState(uint64_t seed, uint64_t subsequence, uint64_t offset);
  // curand4(): the next four 32-bit outputs.
  Words4 next4();

 private:
  void increment();                 // Philox_State_Incr(state)
  void increment_by(uint64_t n);    // Philox_State_Incr(state, n), carry quirks included
  void increment_high(uint64_t n);  // Philox_State_Incr_hi(state, n)

  Words4 counter_{};
  Words4 output_{};
  uint32_t key_lo_ = 0, key_hi_ = 0;
  uint32_t word_ = 0;  // STATE: index of the next unused word of output_
};

}  // namespace fluxgen::sampling
