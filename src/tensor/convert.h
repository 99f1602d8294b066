// Conversions between a tensor's storage dtype and fp32: the one place that knows how to read
// and write every dtype, used by loaders, the CPU backend's tiled matmul and the quantizers.
#pragma once
#include <cstdint>
#include <vector>

#include "tensor/float_codecs.h"
#include "tensor/tensor.h"

namespace fluxgen {

// Elements [start, start+count) of a host tensor of any dtype, as fp32.
void decode_range(const Tensor& t, int64_t start, int64_t count, float* out);
// The whole tensor as a host F32 tensor (returns t itself when it already is one).
Tensor to_f32(const Tensor& t);
std::vector<float> to_vector(const Tensor& t);

// A host tensor converted to `target` (float formats, NF4/FP4 with `block_size`, integers by
// truncation toward zero). Overflow::Torch gives PyTorch's results (inf/NaN); fluxgen's weight
// quantizers use Overflow::Saturate.
Tensor convert(const Tensor& t, DType target, Overflow overflow = Overflow::Torch, int block_size = 64);

}  // namespace fluxgen
