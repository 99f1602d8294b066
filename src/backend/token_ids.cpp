#include "backend/token_ids.h"

#include <cmath>
#include <cstring>

#include "tensor/convert.h"
#include "util/error.h"

namespace fluxgen {

std::vector<int64_t> read_token_ids(const Tensor& ids, int64_t vocab) {
  check(ids.device() == Device::CPU, "embedding: ids are not on the host");
  const int64_t n = ids.numel();
  std::vector<int64_t> out(static_cast<size_t>(n));
  if (ids.dtype() == DType::I64) {
    if (n) std::memcpy(out.data(), ids.raw_data(), static_cast<size_t>(n) * sizeof(int64_t));
  } else if (ids.dtype() == DType::I32) {
    for (int64_t i = 0; i < n; ++i) out[static_cast<size_t>(i)] = ids.data<int32_t>()[i];
  } else {
    const std::vector<float> f = to_vector(ids);
    for (size_t i = 0; i < f.size(); ++i) {
      check(f[i] >= 0.0f && f[i] < static_cast<float>(vocab) && f[i] == std::floor(f[i]), "embedding: token id ", f[i],
            " outside the vocabulary of ", vocab);
      out[i] = static_cast<int64_t>(f[i]);
    }
  }
  for (int64_t id : out) check(id >= 0 && id < vocab, "embedding: token id ", id, " outside the vocabulary of ", vocab);
  return out;
}

}  // namespace fluxgen
