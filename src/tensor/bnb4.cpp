#include "tensor/bnb4.h"

#include <cmath>

#include "util/error.h"

namespace fluxgen::bnb {

namespace {

// bitsandbytes' NF4 code (functional.py get_4bit_type("nf4")).
constexpr std::array<double, 16> kNF4 = {
    -1.0, -0.6961928009986877, -0.5250730514526367, -0.39491748809814453,
    -0.28444138169288635, -0.18477343022823334, -0.09105003625154495, 0.0,
    0.07958029955625534, 0.16093020141124725, 0.24611230194568634, 0.33791524171829224,
    0.44070982933044434, 0.5626170039176941, 0.7229568362236023, 1.0};

// bitsandbytes' FP4 code (e2m1 without inf/NaN, normalised by 12): bit 3 is the sign.
constexpr std::array<double, 16> kFP4 = {0, 0.0625, 8, 12, 4, 6, 2, 3, -0.0, -0.0625, -8, -12, -4, -6, -2, -3};

struct Tables {
  std::array<float, 16> values;
  // Sorted code values with their indices, and the decision thresholds between neighbours
  // (midpoints in double, rounded to float, as bnb's generated trees use).
  std::array<float, 16> sorted;
  std::array<uint8_t, 16> sorted_index;
  std::array<float, 15> thresholds;
};

Tables make_nf4() {
  Tables t{};
  for (int i = 0; i < 16; ++i) {
    t.values[i] = static_cast<float>(kNF4[i]);
    t.sorted[i] = t.values[i];
    t.sorted_index[i] = static_cast<uint8_t>(i);  // already ascending
  }
  for (int i = 0; i < 15; ++i) t.thresholds[i] = static_cast<float>((kNF4[i] + kNF4[i + 1]) / 2);
  return t;
}

// FP4's magnitudes (codes 0..7) in ascending order with their codes; the sign is bit 3.
Tables make_fp4() {
  Tables t{};
  for (int i = 0; i < 16; ++i) t.values[i] = static_cast<float>(kFP4[i] / 12.0);
  const uint8_t ascending[8] = {0, 1, 6, 7, 4, 5, 2, 3};
  for (int i = 0; i < 8; ++i) {
    t.sorted[i] = t.values[ascending[i]];
    t.sorted_index[i] = ascending[i];
  }
  for (int i = 0; i < 7; ++i) t.thresholds[i] = static_cast<float>((kFP4[ascending[i]] + kFP4[ascending[i + 1]]) / 24.0);
  return t;
}

const Tables& tables(DType format) {
  static const Tables nf4 = make_nf4();
  static const Tables fp4 = make_fp4();
  if (format == DType::NF4) return nf4;
  if (format == DType::FP4) return fp4;
  fail("internal: ", dtype_name(format), " is not a bitsandbytes 4-bit format");
}

}  // namespace

const std::array<float, 16>& code_table(DType format) { return tables(format).values; }

uint8_t quantize_value(DType format, float x) {
  const Tables& t = tables(format);
  if (format == DType::NF4) {
    // Count the thresholds x lies strictly above: ties fall to the lower code, NaN to code 0.
    uint8_t idx = 0;
    for (int i = 0; i < 15; ++i) idx += x > t.thresholds[i] ? 1 : 0;
    return idx;
  }
  const uint8_t sign = x < 0 ? 0x8 : 0x0;
  const float mag = std::fabs(x);
  int pos = 0;
  for (int i = 0; i < 7; ++i) pos += mag > t.thresholds[i] ? 1 : 0;
  return static_cast<uint8_t>(sign | t.sorted_index[pos]);
}

void quantize(DType format, const float* in, size_t n, int block_size, uint8_t* packed, float* absmax) {
  check(block_size > 0 && block_size % 2 == 0, "bnb quantize: block size must be a positive even number");
  const size_t blocks = (n + static_cast<size_t>(block_size) - 1) / static_cast<size_t>(block_size);
  const uint8_t zero_code = quantize_value(format, 0.0f);
  for (size_t b = 0; b < blocks; ++b) {
    const size_t begin = b * static_cast<size_t>(block_size);
    const size_t end = std::min(n, begin + static_cast<size_t>(block_size));
    float amax = 0.0f;
    for (size_t i = begin; i < end; ++i) amax = std::max(amax, std::fabs(in[i]));
    absmax[b] = amax;
    // bnb multiplies by the reciprocal of the block maximum rather than dividing.
    const float inv = amax > 0.0f ? 1.0f / amax : 0.0f;
    for (size_t i = begin; i < end; ++i) {
      const uint8_t q = amax > 0.0f ? quantize_value(format, in[i] * inv) : zero_code;
      uint8_t& byte = packed[i / 2];
      if (i % 2 == 0)
        byte = static_cast<uint8_t>(q << 4);
      else
        byte = static_cast<uint8_t>(byte | q);
    }
  }
}

void dequantize_range(DType format, const uint8_t* packed, const float* absmax, int block_size,
                      size_t start, size_t count, float* out) {
  const auto& code = code_table(format);
  const size_t bs = static_cast<size_t>(block_size);
  size_t i = start;
  const size_t end = start + count;
  while (i < end) {
    const size_t block = i / bs;
    const size_t block_end = std::min(end, (block + 1) * bs);
    const float scale = absmax[block];
    for (; i < block_end; ++i) {
      const uint8_t byte = packed[i / 2];
      const uint8_t q = (i % 2 == 0) ? (byte >> 4) : (byte & 0x0F);
      *out++ = code[q] * scale;
    }
  }
}

std::vector<float> dequantize_nested_absmax(const uint8_t* q, size_t n, const float* nested_code,
                                            const float* nested_absmax, size_t nested_absmax_count,
                                            int nested_block, float offset) {
  check(nested_block > 0, "bnb: nested block size must be positive");
  const size_t needed = (n + static_cast<size_t>(nested_block) - 1) / static_cast<size_t>(nested_block);
  check(nested_absmax_count >= needed, "bnb: nested absmax has ", nested_absmax_count, " entries, ", needed,
        " needed for ", n, " blocks");
  std::vector<float> out(n);
  for (size_t i = 0; i < n; ++i)
    out[i] = nested_code[q[i]] * nested_absmax[i / static_cast<size_t>(nested_block)] + offset;
  return out;
}

}  // namespace fluxgen::bnb
