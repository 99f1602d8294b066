#include "tensor/bnb4.h"

#include <algorithm>
#include <cmath>
#include <limits>

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

// bitsandbytes' kQuantizeBlockwise picks a code with a decision tree whose pivots are float
// literals (csrc/kernels.cu dQuantizeNF4 / dQuantizeFP4). They are the midpoints between
// neighbouring codes only to about 7 digits: 4 of NF4's and 3 of FP4's differ from the exact
// float midpoints by a few ulps, so bit-compatible codes need these very constants, ascending.
constexpr std::array<float, 15> kNF4Thresholds = {
    -0.8480964004993439f, -0.6106329262256622f, -0.4599952697753906f, -0.33967943489551544f,
    -0.23460740596055984f, -0.13791173323988914f, -0.045525018125772476f, 0.03979014977812767f,
    0.1202552504837513f, 0.2035212516784668f, 0.2920137718319893f, 0.3893125355243683f,
    0.5016634166240692f, 0.6427869200706482f, 0.8614784181118011f};
// FP4 compares |x| against these; the sign becomes bit 3.
constexpr std::array<float, 7> kFP4Thresholds = {0.00260417f, 0.0859375f, 0.20833333f, 0.29166667f,
                                                 0.4166667f,  0.583333f,  0.8333333f};

// FP4's codes 0..7 in ascending order of magnitude.
constexpr std::array<uint8_t, 8> kFP4AscendingCodes = {0, 1, 6, 7, 4, 5, 2, 3};

struct Tables {
  std::array<float, 16> values;
  // Code indices in ascending order of value (FP4: of magnitude, codes 0..7).
  std::array<uint8_t, 16> sorted_index;
};

Tables make_nf4() {
  Tables t{};
  for (int i = 0; i < 16; ++i) {
    t.values[i] = static_cast<float>(kNF4[i]);
    t.sorted_index[i] = static_cast<uint8_t>(i);  // already ascending
  }
  return t;
}

// FP4's magnitudes (codes 0..7) in ascending order with their codes; the sign is bit 3.
Tables make_fp4() {
  Tables t{};
  for (int i = 0; i < 16; ++i) t.values[i] = static_cast<float>(kFP4[i] / 12.0);
  for (int i = 0; i < 8; ++i) t.sorted_index[i] = kFP4AscendingCodes[i];
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
const std::array<float, 15>& nf4_thresholds() { return kNF4Thresholds; }
const std::array<float, 7>& fp4_thresholds() { return kFP4Thresholds; }
const std::array<uint8_t, 8>& fp4_magnitude_codes() { return kFP4AscendingCodes; }

uint8_t quantize_value(DType format, float x) {
  const Tables& t = tables(format);
  if (format == DType::NF4) {
    // Count the thresholds x lies strictly above: ties fall to the lower code, NaN to code 0.
    uint8_t idx = 0;
    for (float threshold : kNF4Thresholds) idx += x > threshold ? 1 : 0;
    return idx;
  }
  const uint8_t sign = x < 0 ? 0x8 : 0x0;
  const float mag = std::fabs(x);
  int pos = 0;
  for (float threshold : kFP4Thresholds) pos += mag > threshold ? 1 : 0;
  return static_cast<uint8_t>(sign | t.sorted_index[pos]);
}

void quantize(DType format, const float* in, size_t n, int block_size, uint8_t* packed, float* absmax) {
  check(block_size > 0 && block_size % 2 == 0, "bnb quantize: block size must be a positive even number");
  const size_t blocks = (n + static_cast<size_t>(block_size) - 1) / static_cast<size_t>(block_size);
  for (size_t b = 0; b < blocks; ++b) {
    const size_t begin = b * static_cast<size_t>(block_size);
    const size_t end = std::min(n, begin + static_cast<size_t>(block_size));
    float amax = 0.0f;
    for (size_t i = begin; i < end; ++i) amax = std::max(amax, std::fabs(in[i]));
    absmax[b] = amax;
    // bnb multiplies by the reciprocal of the block maximum rather than dividing. An all-zero
    // block gets 1/0 = inf and 0·inf = NaN, which bnb's trees send to code 0 (NF4 -1.0, FP4 0):
    // dequantized it is still zero, and the bytes stay identical to bnb's.
    const float inv = amax > 0.0f ? 1.0f / amax : std::numeric_limits<float>::infinity();
    for (size_t i = begin; i < end; ++i) {
      const uint8_t q = quantize_value(format, in[i] * inv);
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
