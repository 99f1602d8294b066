// ggml's tensor types as GGUF files store them: the plain element types and the block-quantized
// formats (Q8_0 ... Q6_K), each a fixed number of elements packed into a fixed number of bytes.
// The block layouts are plain structs mirroring ggml-common.h; the decoders reproduce ggml's
// dequantize_row_* bit for bit (same fp16 scales, same float operations in the same order), as
// tests/data/gguf's goldens from ggml's own code check.
#pragma once
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

namespace fluxgen::gguf {

// ggml_type ids as written in GGUF tensor infos (only those fluxgen reads).
enum class GgmlType : uint32_t {
  F32 = 0, F16 = 1, Q4_0 = 2, Q4_1 = 3, Q5_0 = 6, Q5_1 = 7, Q8_0 = 8,
  Q2_K = 10, Q3_K = 11, Q4_K = 12, Q5_K = 13, Q6_K = 14,
  I8 = 24, I16 = 25, I32 = 26, I64 = 27, F64 = 28, BF16 = 30,
};

struct GgmlTypeInfo {
  GgmlType type;
  std::string_view name;  // ggml's spelling: "Q4_K"
  int block_elems;        // elements per block (1 for plain types)
  int block_bytes;        // bytes per block
};

// nullopt for ids fluxgen does not decode (IQ*, TQ*, Q8_1/Q8_K, removed ids).
std::optional<GgmlTypeInfo> ggml_type_info(uint32_t id);
const GgmlTypeInfo& ggml_type_info(GgmlType t);
bool ggml_type_is_block_quantized(GgmlType t);

constexpr int kQK = 32;    // elements per block of the legacy formats
constexpr int kQK_K = 256; // elements per super-block of the k-quants

struct BlockQ8_0 { uint16_t d; int8_t qs[kQK]; };
struct BlockQ4_0 { uint16_t d; uint8_t qs[kQK / 2]; };
struct BlockQ4_1 { uint16_t d, m; uint8_t qs[kQK / 2]; };
struct BlockQ5_0 { uint16_t d; uint8_t qh[4]; uint8_t qs[kQK / 2]; };
struct BlockQ5_1 { uint16_t d, m; uint8_t qh[4]; uint8_t qs[kQK / 2]; };
struct BlockQ2_K { uint8_t scales[kQK_K / 16]; uint8_t qs[kQK_K / 4]; uint16_t d, dmin; };
struct BlockQ3_K { uint8_t hmask[kQK_K / 8]; uint8_t qs[kQK_K / 4]; uint8_t scales[12]; uint16_t d; };
struct BlockQ4_K { uint16_t d, dmin; uint8_t scales[12]; uint8_t qs[kQK_K / 2]; };
struct BlockQ5_K { uint16_t d, dmin; uint8_t scales[12]; uint8_t qh[kQK_K / 8]; uint8_t qs[kQK_K / 2]; };
struct BlockQ6_K { uint8_t ql[kQK_K / 2]; uint8_t qh[kQK_K / 4]; int8_t scales[kQK_K / 16]; uint16_t d; };

static_assert(sizeof(BlockQ8_0) == 34 && sizeof(BlockQ4_0) == 18 && sizeof(BlockQ4_1) == 20);
static_assert(sizeof(BlockQ5_0) == 22 && sizeof(BlockQ5_1) == 24);
static_assert(sizeof(BlockQ2_K) == 84 && sizeof(BlockQ3_K) == 110 && sizeof(BlockQ4_K) == 144);
static_assert(sizeof(BlockQ5_K) == 176 && sizeof(BlockQ6_K) == 210);

// Bytes that n elements of type t take; n must be a whole number of blocks (checked by callers
// through ggml_row_is_whole_blocks).
uint64_t ggml_bytes(GgmlType t, uint64_t n);
bool ggml_whole_blocks(GgmlType t, uint64_t n);

// Decodes `nblocks` whole blocks starting at `src` (unaligned bytes are fine) into
// nblocks * block_elems floats.
void dequantize_blocks(GgmlType t, const uint8_t* src, int64_t nblocks, float* out);

}  // namespace fluxgen::gguf
