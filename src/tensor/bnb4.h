// bitsandbytes' 4-bit block formats (NF4 and FP4), bit-compatible with bnb's quantize_4bit /
// dequantize_4bit: the flattened tensor is cut into blocks of `block_size` (64) elements, each
// block keeps its absolute maximum in fp32 and every element the index of the nearest of 16 code
// values (ties go to the lower code, as bnb's decision trees do), two indices per byte with the
// first element in the high nibble.
#pragma once
#include <array>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "tensor/dtype.h"

namespace fluxgen::bnb {

constexpr int kDefaultBlockSize = 64;

// The 16 code values of NF4 or FP4 (index = the 4-bit code).
const std::array<float, 16>& code_table(DType format);

// The constants quantize_value decides with, ascending: NF4 counts the thresholds x lies above;
// FP4 counts those |x| lies above, maps the count through fp4_magnitude_codes and puts the sign
// in bit 3. Device quantizers use these very numbers to stay bit-compatible.
const std::array<float, 15>& nf4_thresholds();
const std::array<float, 7>& fp4_thresholds();
const std::array<uint8_t, 8>& fp4_magnitude_codes();

// Index of the code nearest to x (x already divided by the block's absmax).
uint8_t quantize_value(DType format, float x);

// Quantizes n floats: packed gets (n+1)/2 bytes, absmax gets ceil(n / block_size) floats.
void quantize(DType format, const float* in, size_t n, int block_size, uint8_t* packed, float* absmax);

// Decodes elements [start, start+count) of a quantized tensor into out.
void dequantize_range(DType format, const uint8_t* packed, const float* absmax, int block_size,
                      size_t start, size_t count, float* out);

// bnb's double quantization of the absmax vector ("compress_statistics", Forge's v1 nf4 files):
// absmax[i] = nested_code[q[i]] * nested_absmax[i / nested_block] + offset.
std::vector<float> dequantize_nested_absmax(const uint8_t* q, size_t n, const float* nested_code,
                                            const float* nested_absmax, size_t nested_absmax_count,
                                            int nested_block, float offset);

}  // namespace fluxgen::bnb
