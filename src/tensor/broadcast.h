// NumPy broadcasting of two shapes: the result shape and each operand's element strides within it.
#pragma once
#include <cstdint>
#include <vector>

#include "tensor/tensor.h"

namespace fluxgen {

// The broadcast shape of a and b; throws naming both when they do not broadcast.
Shape broadcast_shape(const Shape& a, const Shape& b);
// Element strides of a contiguous tensor of shape `s` viewed in the broadcast shape `out` (0 along
// broadcast dimensions).
std::vector<int64_t> broadcast_strides(const Shape& s, const Shape& out);

}  // namespace fluxgen
