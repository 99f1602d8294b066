// T5's relative position bias: the offset key - query of every pair is put into one of
// `num_buckets` buckets (bidirectional: half for each direction; exact for small offsets,
// logarithmic up to max_distance), and a learnt [buckets, heads] table turns buckets into an
// additive attention bias per head. Block 0 holds the table; every block reuses its bias.
#pragma once
#include <cstdint>

#include "tensor/tensor.h"

namespace fluxgen::t5 {

// transformers' T5Attention._relative_position_bucket with bidirectional=True, its logarithm
// taken in float32 as PyTorch does.
int64_t relative_position_bucket(int64_t relative_position, int64_t num_buckets, int64_t max_distance);

// The bias [1, heads, length, length] from the table [buckets, heads] (any dtype).
Tensor relative_position_bias(const Tensor& table, int64_t length, int64_t max_distance);

}  // namespace fluxgen::t5
