// CudaBackend: permute, concat, slice (these move bytes and keep their input's dtype, as on the
// CPU) and embedding lookup.
#include "backend/cuda/cuda_backend.h"
#include "backend/cuda/cuda_check.h"
#include "backend/cuda/cuda_context.h"
#include "backend/cuda/device_tensors.h"
#include "backend/cuda/layout_kernels.h"
#include "backend/token_ids.h"
#include "util/error.h"

namespace fluxgen::cuda {

namespace {

int64_t element_bytes(const Tensor& t, const char* op) {
  check(t.defined(), op, ": undefined tensor");
  check(!dtype_is_packed(t.dtype()), op, ": not supported on packed ", dtype_name(t.dtype()), " tensors");
  return dtype_bits(t.dtype()) / 8;
}

int normalize_dim(int dim, int ndim, const char* op) {
  const int d = dim < 0 ? dim + ndim : dim;
  check(d >= 0 && d < ndim, op, ": dimension ", dim, " out of range for ", ndim, " dimensions");
  return d;
}

bool aligned(const void* p, int64_t bytes) { return reinterpret_cast<uintptr_t>(p) % static_cast<uintptr_t>(bytes) == 0; }

// Rows of `width` bytes, `rows` of them, from a pitch of spitch to one of dpitch.
void copy_rows(void* dst, size_t dpitch, const void* src, size_t spitch, size_t width, size_t rows) {
  if (width == 0 || rows == 0) return;
  check_cuda(cudaMemcpy2DAsync(dst, dpitch, src, spitch, width, rows, cudaMemcpyDeviceToDevice, Context::get().stream()),
             "device copy");
}

}  // namespace

Tensor CudaBackend::permute(const Tensor& x_in, const std::vector<int>& dims) {
  int64_t es = element_bytes(x_in, "permute");
  const Tensor x = on_device(x_in);
  const int nd = x.ndim();
  check(static_cast<int>(dims.size()) == nd, "permute: ", dims.size(), " dims for ", x.describe());
  std::vector<int64_t> in_strides(static_cast<size_t>(nd), 1);
  for (int i = nd - 2; i >= 0; --i) in_strides[static_cast<size_t>(i)] = in_strides[static_cast<size_t>(i) + 1] * x.dim(i + 1);
  Shape out_shape(static_cast<size_t>(nd));
  std::vector<bool> seen(static_cast<size_t>(nd), false);
  kernels::GatherShape g;
  for (int i = 0; i < nd; ++i) {
    const int d = normalize_dim(dims[static_cast<size_t>(i)], nd, "permute");
    check(!seen[static_cast<size_t>(d)], "permute: dimension ", d, " repeated");
    seen[static_cast<size_t>(d)] = true;
    out_shape[static_cast<size_t>(i)] = x.dim(d);
    // Size-1 dimensions move nothing; an output dimension continuing the previous one in the
    // source merges with it.
    if (x.dim(d) == 1) continue;
    const int64_t stride = in_strides[static_cast<size_t>(d)];
    if (g.ndim > 0 && g.src_stride[g.ndim - 1] == stride * x.dim(d)) {
      g.size[g.ndim - 1] *= x.dim(d);
      g.src_stride[g.ndim - 1] = stride;
      continue;
    }
    check(g.ndim < kernels::kMaxDims, "permute: more than ", kernels::kMaxDims, " dimensions after merging");
    g.size[g.ndim] = x.dim(d);
    g.src_stride[g.ndim] = stride;
    ++g.ndim;
  }
  Tensor out = device_empty(out_shape, x.dtype());
  int64_t n = out.numel();
  if (n == 0) return out;
  // Contiguous runs move as 16-, 8-, 4- or 2-byte elements when sizes, strides and addresses allow.
  if (g.ndim > 0 && g.src_stride[g.ndim - 1] == 1) {
    for (int64_t w = 16; w > es; w /= 2) {
      const int64_t f = w / es;
      bool ok = (g.size[g.ndim - 1] * es) % w == 0 && aligned(x.raw_data(), w) && aligned(out.raw_data(), w);
      for (int d = 0; d + 1 < g.ndim && ok; ++d) ok = (g.src_stride[d] * es) % w == 0;
      if (!ok) continue;
      g.size[g.ndim - 1] /= f;
      for (int d = 0; d + 1 < g.ndim; ++d) g.src_stride[d] /= f;
      n /= f;
      es = w;
      break;
    }
  }
  kernels::gather(static_cast<int>(es), x.raw_data(), out.raw_data(), g, n, Context::get().stream());
  return out;
}

Tensor CudaBackend::concat(const std::vector<Tensor>& parts_in, int dim) {
  check(!parts_in.empty(), "concat: no tensors");
  // Host parts join the device parts in their dtype (a host F32 table next to BF16 activations).
  DType device_dtype = parts_in.front().dtype();
  for (const Tensor& p : parts_in)
    if (p.defined() && p.device() == Device::CUDA) {
      device_dtype = p.dtype();
      break;
    }
  std::vector<Tensor> parts;
  for (const Tensor& p : parts_in) {
    check(p.defined(), "concat: undefined tensor");
    const bool convert = p.device() == Device::CPU && p.dtype() != device_dtype && dtype_is_float(p.dtype()) &&
                         (device_dtype == DType::F32 || device_dtype == DType::BF16);
    parts.push_back(convert ? on_device_as(p, device_dtype) : on_device(p));
  }
  const Tensor& first = parts.front();
  const int64_t es = element_bytes(first, "concat");
  const int nd = first.ndim();
  const int d = normalize_dim(dim, nd, "concat");
  Shape out_shape = first.shape();
  out_shape[static_cast<size_t>(d)] = 0;
  for (const Tensor& p : parts) {
    check(p.ndim() == nd && p.dtype() == first.dtype(), "concat: ", p.describe(), " does not match ", first.describe());
    for (int i = 0; i < nd; ++i)
      check(i == d || p.dim(i) == first.dim(i), "concat: ", p.describe(), " does not match ", first.describe(),
            " outside dimension ", d);
    out_shape[static_cast<size_t>(d)] += p.dim(d);
  }
  Tensor out = device_empty(out_shape, first.dtype());
  int64_t outer = 1, inner = 1;
  for (int i = 0; i < d; ++i) outer *= out_shape[static_cast<size_t>(i)];
  for (int i = d + 1; i < nd; ++i) inner *= out_shape[static_cast<size_t>(i)];
  char* dst = static_cast<char*>(out.raw_data());
  const size_t out_row = static_cast<size_t>(out_shape[static_cast<size_t>(d)] * inner * es);
  size_t offset = 0;
  for (const Tensor& p : parts) {
    const size_t chunk = static_cast<size_t>(p.dim(d) * inner * es);
    copy_rows(dst + offset, out_row, p.raw_data(), chunk, chunk, static_cast<size_t>(outer));
    offset += chunk;
  }
  return out;
}

Tensor CudaBackend::slice(const Tensor& x_in, int dim, int64_t start, int64_t end) {
  const int64_t es = element_bytes(x_in, "slice");
  const Tensor x = on_device(x_in);
  const int nd = x.ndim();
  const int d = normalize_dim(dim, nd, "slice");
  check(start >= 0 && start <= end && end <= x.dim(d), "slice: [", start, ", ", end, ") out of range for dimension ",
        d, " of ", x.describe());
  Shape out_shape = x.shape();
  out_shape[static_cast<size_t>(d)] = end - start;
  Tensor out = device_empty(out_shape, x.dtype());
  int64_t outer = 1, inner = 1;
  for (int i = 0; i < d; ++i) outer *= x.dim(i);
  for (int i = d + 1; i < nd; ++i) inner *= x.dim(i);
  const size_t in_row = static_cast<size_t>(x.dim(d) * inner * es);
  const size_t chunk = static_cast<size_t>((end - start) * inner * es);
  copy_rows(out.raw_data(), chunk, static_cast<const char*>(x.raw_data()) + start * inner * es, in_row, chunk,
            static_cast<size_t>(outer));
  return out;
}

Tensor CudaBackend::embedding(const Tensor& ids, const Tensor& table_in) {
  check(ids.defined() && table_in.defined(), "embedding: undefined tensor");
  check(table_in.ndim() == 2, "embedding: table must be [V, D], got ", table_in.describe());
  const int64_t V = table_in.dim(0), D = table_in.dim(1);
  // Ids are read on the host: each is checked against the vocabulary before any lookup.
  const std::vector<int64_t> idv = read_token_ids(ids.device() == Device::CPU ? ids : host_copy(ids), V);
  const Tensor table = on_device(table_in);
  Shape out_shape = ids.shape();
  out_shape.push_back(D);
  Tensor out = device_empty(out_shape, options_.activations);
  if (idv.empty() || D == 0) return out;
  const Tensor ids_host = Tensor::wrap({static_cast<int64_t>(idv.size())}, DType::I64, idv.data(),
                                       idv.size() * sizeof(int64_t), nullptr);
  const Tensor dev_ids = on_device(ids_host);
  const bool quantized = dtype_is_quantized_block(table.dtype());
  kernels::embedding(table.dtype(), table.raw_data(), quantized ? table.absmax().data<float>() : nullptr,
                     quantized ? table.block_size() : 1, code_table_of(table.dtype()), dev_ids.data<int64_t>(),
                     static_cast<int64_t>(idv.size()), D, options_.activations, out.raw_data(),
                     Context::get().stream());
  return out;
}

}  // namespace fluxgen::cuda
