#include "tensor/convert.h"

#include <cmath>
#include <cstring>

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

Tensor convert(const Tensor& t, DType target, Overflow overflow, int block_size) {
  if (t.dtype() == target && !dtype_is_quantized_block(target)) return t;
  const Tensor src = to_f32(t);
  const float* in = src.f32();
  const int64_t n = src.numel();
  if (dtype_is_gguf_block(target)) {
    // GGUF blocks run along the flattened tensor (a weight's rows are whole blocks).
    const int64_t elems = dtype_block_elems(target);
    check(n % elems == 0, "cannot convert ", t.describe(), " to ", dtype_name(target), ": ", n,
          " elements are not a whole number of its ", elems, "-element blocks");
    Tensor out = Tensor::empty(t.shape(), target);
    gguf::quantize_blocks(gguf::ggml_type_of(target), in, n / elems, static_cast<uint8_t*>(out.raw_data()));
    return out;
  }
  if (dtype_is_quantized_block(target)) {
    Tensor packed = Tensor::empty({(n + 1) / 2}, DType::U8);
    Tensor absmax = Tensor::empty({(n + block_size - 1) / block_size});
    bnb::quantize(target, in, static_cast<size_t>(n), block_size, packed.data<uint8_t>(), absmax.f32());
    return Tensor::quantized(t.shape(), target, std::move(packed), std::move(absmax), block_size);
  }
  Tensor out = Tensor::empty(t.shape(), target);
  void* base = out.raw_data();
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
    case DType::FP4: break;  // handled above
    case DType::Q8_0: case DType::Q4_0: case DType::Q4_1: case DType::Q5_0: case DType::Q5_1:
    case DType::Q2_K: case DType::Q3_K: case DType::Q4_K: case DType::Q5_K: case DType::Q6_K:
      break;  // refused above
  }
  return out;
}

}  // namespace fluxgen
