#include "tensor/convert.h"

#include <cmath>
#include <algorithm>
#include <cstring>
#include <vector>

#include "tensor/bnb4.h"
#include "tensor/gguf_blocks.h"
#include "tensor/gguf_quantize.h"
#include "util/error.h"

namespace fluxgen {

namespace {
template <typename T>
void widen(const void* base, int64_t start, int64_t count, float* out) {
  const T* p = static_cast<const T*>(base) + start;
  for (int64_t i = 0; i < count; ++i) out[i] = static_cast<float>(p[i]);
}

template <typename T>
void narrow_int(const float* in, int64_t n, void* base) {
  T* p = static_cast<T*>(base);
  for (int64_t i = 0; i < n; ++i) p[i] = static_cast<T>(std::trunc(in[i]));
}
}  // namespace

void decode_range(const Tensor& t, int64_t start, int64_t count, float* out) {
  check(t.device() == Device::CPU, "decode_range: host tensors only");
  check(start >= 0 && count >= 0 && start + count <= t.numel(), "decode_range: range [", start, ", ",
        start + count, ") outside ", t.describe());
  const void* base = t.raw_data();
  const size_t s = static_cast<size_t>(start), n = static_cast<size_t>(count);
  switch (t.dtype()) {
    case DType::F32: std::memcpy(out, static_cast<const float*>(base) + s, n * sizeof(float)); break;
    case DType::F64: widen<double>(base, start, count, out); break;
    case DType::F16: decode_f16(static_cast<const uint16_t*>(base) + s, out, n); break;
    case DType::BF16: decode_bf16(static_cast<const uint16_t*>(base) + s, out, n); break;
    case DType::F8_E4M3: decode_e4m3fn(static_cast<const uint8_t*>(base) + s, out, n); break;
    case DType::F8_E5M2: decode_e5m2(static_cast<const uint8_t*>(base) + s, out, n); break;
    case DType::I64: widen<int64_t>(base, start, count, out); break;
    case DType::I32: widen<int32_t>(base, start, count, out); break;
    case DType::I16: widen<int16_t>(base, start, count, out); break;
    case DType::I8: widen<int8_t>(base, start, count, out); break;
    case DType::U64: widen<uint64_t>(base, start, count, out); break;
    case DType::U32: widen<uint32_t>(base, start, count, out); break;
    case DType::U16: widen<uint16_t>(base, start, count, out); break;
    case DType::U8: widen<uint8_t>(base, start, count, out); break;
    case DType::BOOL: {
      const uint8_t* p = static_cast<const uint8_t*>(base) + s;
      for (size_t i = 0; i < n; ++i) out[i] = p[i] ? 1.0f : 0.0f;
      break;
    }
    case DType::NF4:
    case DType::FP4:
      bnb::dequantize_range(t.dtype(), static_cast<const uint8_t*>(base), t.absmax().f32(), t.block_size(), s, n, out);
      break;
    case DType::Q8_0: case DType::Q4_0: case DType::Q4_1: case DType::Q5_0: case DType::Q5_1:
    case DType::Q2_K: case DType::Q3_K: case DType::Q4_K: case DType::Q5_K: case DType::Q6_K:
      gguf::dequantize_range(gguf::ggml_type_of(t.dtype()), static_cast<const uint8_t*>(base), s, n, out);
      break;
  }
}

Tensor to_f32(const Tensor& t) {
  if (t.dtype() == DType::F32 && t.device() == Device::CPU) return t;
  Tensor out = Tensor::empty(t.shape());
  decode_range(t, 0, t.numel(), out.f32());
  return out;
}

std::vector<float> to_vector(const Tensor& t) {
  std::vector<float> v(static_cast<size_t>(t.numel()));
  if (!v.empty()) decode_range(t, 0, t.numel(), v.data());
  return v;
}

namespace {

// Elements converted at a time from a source that is not F32: a chunk's fp32 copy is 4 MiB where
// the whole tensor's would be up to 264 MiB (FLUX's linear1), beside the file's pages and the
// converted result while a checkpoint loads. Every target encodes elements or blocks on their own,
// so chunks give the bytes the whole tensor would.
constexpr int64_t kConvertChunk = int64_t(1) << 20;

// n floats (elements [start, start + n) of the tensor) encoded as `target` into `base` (the whole
// tensor's bytes) and `absmax` (NF4/FP4). start is a whole number of the target's blocks.
void encode_range(const float* in, int64_t start, int64_t n, DType target, Overflow overflow, int block_size,
                  void* out_bytes, float* absmax) {
  uint8_t* bytes = static_cast<uint8_t*>(out_bytes) + dtype_storage_bytes(target, start);
  if (dtype_is_gguf_block(target)) {
    gguf::quantize_blocks(gguf::ggml_type_of(target), in, n / dtype_block_elems(target), bytes);
    return;
  }
  if (dtype_is_quantized_block(target)) {
    bnb::quantize(target, in, static_cast<size_t>(n), block_size, bytes, absmax + start / block_size);
    return;
  }
  void* base = bytes;
  switch (target) {
    case DType::F32: std::memcpy(base, in, static_cast<size_t>(n) * 4); break;
    case DType::F64: {
      double* p = static_cast<double*>(base);
      for (int64_t i = 0; i < n; ++i) p[i] = in[i];
      break;
    }
    case DType::F16: {
      uint16_t* p = static_cast<uint16_t*>(base);
      for (int64_t i = 0; i < n; ++i) p[i] = f32_to_f16(in[i]);
      break;
    }
    case DType::BF16: {
      uint16_t* p = static_cast<uint16_t*>(base);
      for (int64_t i = 0; i < n; ++i) p[i] = f32_to_bf16(in[i]);
      break;
    }
    case DType::F8_E4M3: {
      uint8_t* p = static_cast<uint8_t*>(base);
      for (int64_t i = 0; i < n; ++i) p[i] = f32_to_e4m3fn(in[i], overflow);
      break;
    }
    case DType::F8_E5M2: {
      uint8_t* p = static_cast<uint8_t*>(base);
      for (int64_t i = 0; i < n; ++i) p[i] = f32_to_e5m2(in[i], overflow);
      break;
    }
    case DType::I64: narrow_int<int64_t>(in, n, base); break;
    case DType::I32: narrow_int<int32_t>(in, n, base); break;
    case DType::I16: narrow_int<int16_t>(in, n, base); break;
    case DType::I8: narrow_int<int8_t>(in, n, base); break;
    case DType::U64: narrow_int<uint64_t>(in, n, base); break;
    case DType::U32: narrow_int<uint32_t>(in, n, base); break;
    case DType::U16: narrow_int<uint16_t>(in, n, base); break;
    case DType::U8: narrow_int<uint8_t>(in, n, base); break;
    case DType::BOOL: {
      uint8_t* p = static_cast<uint8_t*>(base);
      for (int64_t i = 0; i < n; ++i) p[i] = in[i] != 0.0f;
      break;
    }
    case DType::NF4:
    case DType::FP4: break;  // encoded above
    case DType::Q8_0: case DType::Q4_0: case DType::Q4_1: case DType::Q5_0: case DType::Q5_1:
    case DType::Q2_K: case DType::Q3_K: case DType::Q4_K: case DType::Q5_K: case DType::Q6_K:
      break;  // encoded above
  }
}

}  // namespace

Tensor convert(const Tensor& t, DType target, Overflow overflow, int block_size) {
  if (t.dtype() == target && !dtype_is_quantized_block(target)) return t;
  check(t.device() == Device::CPU, "convert: host tensors only");
  const int64_t n = t.numel();
  // The unit chunks are made of: whole blocks of the target, and whole bytes of packed 4-bit codes.
  int64_t unit = 1;
  Tensor out, absmax;
  if (dtype_is_gguf_block(target)) {
    // GGUF blocks run along the flattened tensor (a weight's rows are whole blocks).
    unit = dtype_block_elems(target);
    check(n % unit == 0, "cannot convert ", t.describe(), " to ", dtype_name(target), ": ", n,
          " elements are not a whole number of its ", unit, "-element blocks");
    out = Tensor::empty(t.shape(), target);
  } else if (dtype_is_quantized_block(target)) {
    // Checked before absmax's size divides by it (bnb::quantize checks it too, for its other callers).
    check(block_size > 0 && block_size % 2 == 0, "convert to ", dtype_name(target), ": block size ", block_size,
          " is not a positive even number");
    unit = block_size;
    out = Tensor::empty({(n + 1) / 2}, DType::U8);
    absmax = Tensor::empty({(n + block_size - 1) / block_size});
  } else {
    out = Tensor::empty(t.shape(), target);
  }
  float* absmax_data = absmax.defined() ? absmax.f32() : nullptr;
  if (t.dtype() == DType::F32) {
    encode_range(t.f32(), 0, n, target, overflow, block_size, out.raw_data(), absmax_data);
  } else {
    const int64_t chunk = std::max(unit, kConvertChunk / unit * unit);
    std::vector<float> buffer(static_cast<size_t>(std::min(chunk, n)));
    for (int64_t start = 0; start < n; start += chunk) {
      const int64_t count = std::min(chunk, n - start);
      decode_range(t, start, count, buffer.data());
      encode_range(buffer.data(), start, count, target, overflow, block_size, out.raw_data(), absmax_data);
    }
  }
  if (absmax.defined()) return Tensor::quantized(t.shape(), target, std::move(out), std::move(absmax), block_size);
  return out;
}

}  // namespace fluxgen
