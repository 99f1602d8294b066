#include "models/t5/t5_relative_position.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include "backend/ops.h"
#include "tensor/convert.h"
#include "util/error.h"

namespace fluxgen::t5 {

int64_t relative_position_bucket(int64_t relative_position, int64_t num_buckets, int64_t max_distance) {
  const int64_t half = num_buckets / 2;
  int64_t bucket = relative_position > 0 ? half : 0;
  const int64_t distance = relative_position < 0 ? -relative_position : relative_position;
  const int64_t max_exact = half / 2;
  if (distance < max_exact) return bucket + distance;
  const float scaled = std::log(static_cast<float>(distance) / static_cast<float>(max_exact)) /
                       static_cast<float>(std::log(static_cast<double>(max_distance) / static_cast<double>(max_exact))) *
                       static_cast<float>(half - max_exact);
  const int64_t large = std::min<int64_t>(max_exact + static_cast<int64_t>(scaled), half - 1);
  return bucket + large;
}

Tensor relative_position_bias(const Tensor& table, int64_t length, int64_t max_distance) {
  check(table.ndim() == 2, "T5: relative attention bias table must be [buckets, heads], got ", table.describe());
  const int64_t buckets = table.dim(0), heads = table.dim(1);
  const std::vector<float> t = to_vector(ops::to_host(table));
  Tensor bias = Tensor::empty({1, heads, length, length});
  float* out = bias.f32();
  for (int64_t q = 0; q < length; ++q) {
    for (int64_t k = 0; k < length; ++k) {
      const int64_t b = relative_position_bucket(k - q, buckets, max_distance);
      for (int64_t h = 0; h < heads; ++h) out[(h * length + q) * length + k] = t[static_cast<size_t>(b * heads + h)];
    }
  }
  return bias;
}

}  // namespace fluxgen::t5
