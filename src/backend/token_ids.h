// Token ids as every backend's embedding lookup reads them: integers of any dtype read exactly
// (through fp32 they would lose exactness past 2^24), float ids accepted when integral, each
// checked against the vocabulary.
#pragma once
#include <cstdint>
#include <vector>

#include "tensor/tensor.h"

namespace fluxgen {

// The ids of a host tensor, in order; throws naming the first id outside [0, vocab).
std::vector<int64_t> read_token_ids(const Tensor& ids, int64_t vocab);

}  // namespace fluxgen
