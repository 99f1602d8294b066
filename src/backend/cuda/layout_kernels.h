// Kernels that move elements: strided gathers (permute), embedding lookup, padding, nearest
// upsampling, pixel (un)shuffle, max pooling, and the im2col that feeds convolution GEMMs.
#pragma once
#include <cuda_runtime.h>

#include <cstdint>

#include "backend/cuda/convert_kernels.h"
#include "backend/cuda/elementwise_kernels.h"
#include "tensor/dtype.h"

namespace fluxgen::cuda::kernels {

// An output shape (contiguous) and, per dimension, the stride of the source element.
struct GatherShape {
  int ndim = 0;
  int64_t size[kMaxDims] = {};
  int64_t src_stride[kMaxDims] = {};
};

// dst[i] = src[offset(i)] for elements of elem_bytes (1, 2, 4, 8 or 16) bytes.
void gather(int elem_bytes, const void* src, void* dst, const GatherShape& shape, int64_t n, cudaStream_t stream);

// out[i, :] = decode(table row ids[i]) for `count` ids; out_type F32 or BF16; any table dtype.
void embedding(DType table_type, const void* table, const float* absmax, int block_size, const CodeTable& codes,
               const int64_t* ids, int64_t count, int64_t D, DType out_type, void* out, cudaStream_t stream);

// The rest work on activations of type t (F32 or BF16) laid out as [planes, H, W].
void pad2d(DType t, const void* x, void* y, int64_t planes, int64_t H, int64_t W, int left, int right, int top,
           int bottom, float value, cudaStream_t stream);
void upsample_nearest(DType t, const void* x, void* y, int64_t planes, int64_t H, int64_t W, int factor,
                      cudaStream_t stream);
// x [N, C·r², H, W] -> y [N, C, H·r, W·r]
void pixel_shuffle(DType t, const void* x, void* y, int64_t N, int64_t C, int64_t H, int64_t W, int r,
                   cudaStream_t stream);
// x [N, C, H, W] -> y [N, C·r², H/r, W/r]
void pixel_unshuffle(DType t, const void* x, void* y, int64_t N, int64_t C, int64_t H, int64_t W, int r,
                     cudaStream_t stream);
void max_pool2d(DType t, const void* x, void* y, int64_t planes, int64_t H, int64_t W, int kernel, int stride,
                int padding, int64_t Ho, int64_t Wo, cudaStream_t stream);

// Convolution patches of one image's channel group x [C, H, W] for output rows [oy0, oy0+rows):
// col [C·kh·kw, rows·Wo], zero outside the image.
struct Im2col {
  int64_t C, H, W, kh, kw, stride, padding, Wo, oy0, rows;
};
void im2col(DType t, const void* x, void* col, const Im2col& p, cudaStream_t stream);

}  // namespace fluxgen::cuda::kernels
