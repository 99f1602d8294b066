#include "tensor/broadcast.h"

#include <algorithm>

#include "util/error.h"
#include "util/strings.h"

namespace fluxgen {

Shape broadcast_shape(const Shape& a, const Shape& b) {
  const size_t n = std::max(a.size(), b.size());
  Shape out(n);
  for (size_t i = 0; i < n; ++i) {
    const int64_t da = i < n - a.size() ? 1 : a[i - (n - a.size())];
    const int64_t db = i < n - b.size() ? 1 : b[i - (n - b.size())];
    check(da == db || da == 1 || db == 1, "cannot broadcast ", shape_string(a), " with ", shape_string(b));
    out[i] = da == 1 ? db : da;  // a 1 stretches to the other size, including 0
  }
  return out;
}

std::vector<int64_t> broadcast_strides(const Shape& s, const Shape& out) {
  std::vector<int64_t> st(out.size(), 0);
  int64_t stride = 1;
  for (size_t i = s.size(); i-- > 0;) {
    const size_t j = i + (out.size() - s.size());
    st[j] = s[i] == 1 ? 0 : stride;
    stride *= s[i];
  }
  return st;
}

}  // namespace fluxgen
