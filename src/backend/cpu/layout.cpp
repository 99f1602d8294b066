// CpuBackend: permute, concat, slice and embedding lookup. These move bytes, so they work on
// every byte-sized dtype, not only F32.
#include <cmath>
#include <cstring>

#include "backend/cpu/cpu_backend.h"
#include "backend/token_ids.h"
#include "tensor/convert.h"
#include "util/error.h"
#include "util/strings.h"

namespace fluxgen {

namespace {
size_t element_bytes(const Tensor& t, const char* op) {
  check(t.device() == Device::CPU, op, ": tensor is not on the host");
  check(!dtype_is_packed(t.dtype()), op, ": not supported on packed ", dtype_name(t.dtype()), " tensors");
  return static_cast<size_t>(dtype_bits(t.dtype()) / 8);
}

int normalize_dim(int dim, int ndim, const char* op) {
  const int d = dim < 0 ? dim + ndim : dim;
  check(d >= 0 && d < ndim, op, ": dimension ", dim, " out of range for ", ndim, " dimensions");
  return d;
}
}  // namespace

Tensor CpuBackend::permute(const Tensor& x, const std::vector<int>& dims) {
  const size_t es = element_bytes(x, "permute");
  const int nd = x.ndim();
  check(static_cast<int>(dims.size()) == nd, "permute: ", dims.size(), " dims for ", x.describe());
  std::vector<int64_t> in_strides(nd, 1);
  for (int i = nd - 2; i >= 0; --i) in_strides[i] = in_strides[i + 1] * x.dim(i + 1);
  Shape out_shape(nd);
  std::vector<int64_t> src_stride(nd);
  std::vector<bool> seen(nd, false);
  for (int i = 0; i < nd; ++i) {
    const int d = normalize_dim(dims[i], nd, "permute");
    check(!seen[d], "permute: dimension ", d, " repeated");
    seen[d] = true;
    out_shape[i] = x.dim(d);
    src_stride[i] = in_strides[d];
  }
  Tensor out = Tensor::empty(out_shape, x.dtype());
  if (out.numel() == 0) return out;
  if (nd == 0) {  // a scalar: nothing to move
    std::memcpy(out.raw_data(), x.raw_data(), es);
    return out;
  }
  // Copy runs along the last output dimension; contiguous runs become memcpy.
  const int64_t inner = out_shape[nd - 1], inner_stride = src_stride[nd - 1];
  const int64_t outer = out.numel() / inner;
  const char* src = static_cast<const char*>(x.raw_data());
  char* dst = static_cast<char*>(out.raw_data());
#pragma omp parallel for schedule(static) if (out.numel() > 65536)
  for (int64_t r = 0; r < outer; ++r) {
    int64_t rem = r, off = 0;
    for (int d = nd - 2; d >= 0; --d) {
      off += (rem % out_shape[d]) * src_stride[d];
      rem /= out_shape[d];
    }
    char* o = dst + static_cast<size_t>(r * inner) * es;
    if (inner_stride == 1) {
      std::memcpy(o, src + static_cast<size_t>(off) * es, static_cast<size_t>(inner) * es);
    } else {
      for (int64_t i = 0; i < inner; ++i)
        std::memcpy(o + static_cast<size_t>(i) * es, src + static_cast<size_t>(off + i * inner_stride) * es, es);
    }
  }
  return out;
}

Tensor CpuBackend::concat(const std::vector<Tensor>& parts, int dim) {
  const Tensor& first = parts.front();
  const size_t es = element_bytes(first, "concat");
  const int nd = first.ndim();
  const int d = normalize_dim(dim, nd, "concat");
  Shape out_shape = first.shape();
  out_shape[d] = 0;
  for (const Tensor& p : parts) {
    check(p.ndim() == nd && p.dtype() == first.dtype(), "concat: ", p.describe(), " does not match ", first.describe());
    for (int i = 0; i < nd; ++i)
      check(i == d || p.dim(i) == first.dim(i), "concat: ", p.describe(), " does not match ", first.describe(),
            " outside dimension ", d);
    element_bytes(p, "concat");
    out_shape[d] += p.dim(d);
  }
  Tensor out = Tensor::empty(out_shape, first.dtype());
  int64_t outer = 1, inner = 1;
  for (int i = 0; i < d; ++i) outer *= out_shape[i];
  for (int i = d + 1; i < nd; ++i) inner *= out_shape[i];
  char* dst = static_cast<char*>(out.raw_data());
  const size_t out_row = static_cast<size_t>(out_shape[d] * inner) * es;
  size_t offset = 0;
  for (const Tensor& p : parts) {
    const size_t chunk = static_cast<size_t>(p.dim(d) * inner) * es;
    const char* src = static_cast<const char*>(p.raw_data());
    for (int64_t o = 0; o < outer; ++o) std::memcpy(dst + o * out_row + offset, src + o * chunk, chunk);
    offset += chunk;
  }
  return out;
}

Tensor CpuBackend::slice(const Tensor& x, int dim, int64_t start, int64_t end) {
  const size_t es = element_bytes(x, "slice");
  const int nd = x.ndim();
  const int d = normalize_dim(dim, nd, "slice");
  check(start >= 0 && start <= end && end <= x.dim(d), "slice: [", start, ", ", end, ") out of range for dimension ",
        d, " of ", x.describe());
  Shape out_shape = x.shape();
  out_shape[d] = end - start;
  Tensor out = Tensor::empty(out_shape, x.dtype());
  int64_t outer = 1, inner = 1;
  for (int i = 0; i < d; ++i) outer *= x.dim(i);
  for (int i = d + 1; i < nd; ++i) inner *= x.dim(i);
  const char* src = static_cast<const char*>(x.raw_data());
  char* dst = static_cast<char*>(out.raw_data());
  const size_t in_row = static_cast<size_t>(x.dim(d) * inner) * es;
  const size_t chunk = static_cast<size_t>((end - start) * inner) * es;
  for (int64_t o = 0; o < outer; ++o)
    std::memcpy(dst + o * chunk, src + o * in_row + static_cast<size_t>(start * inner) * es, chunk);
  return out;
}

Tensor CpuBackend::embedding(const Tensor& ids, const Tensor& table) {
  check(table.ndim() == 2, "embedding: table must be [V, D], got ", table.describe());
  const int64_t V = table.dim(0), D = table.dim(1);
  const std::vector<int64_t> idv = read_token_ids(ids, V);
  Shape out_shape = ids.shape();
  out_shape.push_back(D);
  Tensor out = Tensor::empty(out_shape);
  for (size_t i = 0; i < idv.size(); ++i) decode_range(table, idv[i] * D, D, out.f32() + static_cast<int64_t>(i) * D);
  return out;
}

}  // namespace fluxgen
