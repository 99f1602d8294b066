// A small GGUF writer for tests: metadata (strings, INT32 arrays), tensors given as raw bytes in
// any ggml type, and random but valid quantized blocks. It writes what the reader must accept;
// tests corrupt its output to make what the reader must refuse.
#pragma once
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "io/tensor_store.h"
#include "tensor/gguf_blocks.h"

namespace fluxgen::test {

struct FakeTensor {
  std::string name;
  std::vector<uint64_t> ne;  // ggml order (ne[0] innermost)
  uint32_t type;             // ggml type id
  std::vector<uint8_t> data;
};

struct FakeMetadata {
  std::vector<std::pair<std::string, std::string>> strings;
  std::vector<std::pair<std::string, std::vector<int32_t>>> int32_arrays;
};

// general.architecture = arch and general.alignment = 32 first, then `extra`; tensors 32-aligned
// with no padding after the last one (so cutting the file's last byte cuts tensor data).
std::vector<uint8_t> make_gguf(const std::vector<FakeTensor>& tensors, uint32_t version = 3,
                               const std::string& arch = "flux", const FakeMetadata& extra = {});
void write_bytes(const std::string& path, const std::vector<uint8_t>& bytes);
std::vector<uint8_t> f32_bytes(const std::vector<float>& v);

// Blocks of type t holding n elements (a whole number of blocks): random codes and sub-scales,
// fp16 scales chosen so that every decoded value lies within [-magnitude, magnitude].
std::vector<uint8_t> random_blocks(gguf::GgmlType t, uint64_t n, float magnitude, uint32_t seed);

// The tensors of `src` as a GGUF file at `path`: 2-D tensors whose rows are whole blocks of
// `type` become random valid blocks of it (magnitude: the source tensor's largest value), F16 and
// BF16 are converted, everything else is written as F32. Returns how many tensors got `type`.
int write_store_as_gguf(const TensorStore& src, const std::string& path, gguf::GgmlType type,
                        const FakeMetadata& extra = {}, const std::string& arch = "flux");

}  // namespace fluxgen::test
