#include "gguf_test_writer.h"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstring>
#include <fstream>
#include <random>

#include "tensor/convert.h"
#include "tensor/float_codecs.h"
#include "util/error.h"

namespace fluxgen::test {

namespace {

struct Bytes {
  std::vector<uint8_t> b;
  template <typename T>
  void put(T v) {
    const auto* p = reinterpret_cast<const uint8_t*>(&v);
    b.insert(b.end(), p, p + sizeof(T));
  }
  void str(const std::string& s) {
    put<uint64_t>(s.size());
    b.insert(b.end(), s.begin(), s.end());
  }
};

constexpr uint32_t kString = 8, kArray = 9, kInt32 = 5, kUInt32 = 4;

void set_f16(uint8_t* block, size_t offset, float v) {
  const uint16_t h = f32_to_f16(v);
  std::memcpy(block + offset, &h, 2);
}

}  // namespace

std::vector<uint8_t> make_gguf(const std::vector<FakeTensor>& tensors, uint32_t version, const std::string& arch,
                               const FakeMetadata& extra) {
  Bytes w;
  w.put<uint32_t>(0x46554747);
  w.put<uint32_t>(version);
  w.put<uint64_t>(tensors.size());
  w.put<uint64_t>(2 + extra.strings.size() + extra.int32_arrays.size());
  w.str("general.architecture");
  w.put<uint32_t>(kString);
  w.str(arch);
  w.str("general.alignment");
  w.put<uint32_t>(kUInt32);
  w.put<uint32_t>(32);
  for (const auto& [k, v] : extra.strings) {
    w.str(k);
    w.put<uint32_t>(kString);
    w.str(v);
  }
  for (const auto& [k, v] : extra.int32_arrays) {
    w.str(k);
    w.put<uint32_t>(kArray);
    w.put<uint32_t>(kInt32);
    w.put<uint64_t>(v.size());
    for (int32_t x : v) w.put<int32_t>(x);
  }
  uint64_t offset = 0;
  for (const auto& t : tensors) {
    w.str(t.name);
    w.put<uint32_t>(static_cast<uint32_t>(t.ne.size()));
    for (auto d : t.ne) w.put<uint64_t>(d);
    w.put<uint32_t>(t.type);
    w.put<uint64_t>(offset);
    offset += (t.data.size() + 31) / 32 * 32;
  }
  while (w.b.size() % 32) w.b.push_back(0);
  for (size_t k = 0; k < tensors.size(); ++k) {
    w.b.insert(w.b.end(), tensors[k].data.begin(), tensors[k].data.end());
    if (k + 1 < tensors.size())
      while (w.b.size() % 32) w.b.push_back(0);
  }
  return w.b;
}

void write_bytes(const std::string& path, const std::vector<uint8_t>& bytes) {
  std::ofstream out(path, std::ios::binary);
  out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
  check(out.good(), path, ": write failed");
}

std::vector<uint8_t> f32_bytes(const std::vector<float>& v) {
  std::vector<uint8_t> out(v.size() * 4);
  if (!v.empty()) std::memcpy(out.data(), v.data(), out.size());
  return out;
}

std::vector<uint8_t> random_blocks(gguf::GgmlType t, uint64_t n, float magnitude, uint32_t seed) {
  using namespace gguf;
  const GgmlTypeInfo& info = ggml_type_info(t);
  check(info.block_elems > 1 && n % static_cast<uint64_t>(info.block_elems) == 0, "random_blocks: ", n,
        " elements are not whole ", info.name, " blocks");
  const uint64_t blocks = n / static_cast<uint64_t>(info.block_elems);
  std::vector<uint8_t> out(static_cast<size_t>(blocks) * static_cast<size_t>(info.block_bytes));
  std::mt19937 rng(seed);
  for (auto& byte : out) byte = static_cast<uint8_t>(rng());
  // Each format's largest |code x sub-scale| bounds the scale d; formats with a min use half the
  // range for d·q and half for the min, so values stay within ±magnitude.
  const float m = magnitude;
  for (uint64_t k = 0; k < blocks; ++k) {
    uint8_t* b = out.data() + k * static_cast<uint64_t>(info.block_bytes);
    switch (t) {
      case GgmlType::Q8_0: set_f16(b, offsetof(BlockQ8_0, d), m / 128); break;
      case GgmlType::Q4_0: set_f16(b, offsetof(BlockQ4_0, d), m / 8); break;
      case GgmlType::Q4_1:
        set_f16(b, offsetof(BlockQ4_1, d), m / 15);
        set_f16(b, offsetof(BlockQ4_1, m), -m / 2);
        break;
      case GgmlType::Q5_0: set_f16(b, offsetof(BlockQ5_0, d), m / 16); break;
      case GgmlType::Q5_1:
        set_f16(b, offsetof(BlockQ5_1, d), m / 31);
        set_f16(b, offsetof(BlockQ5_1, m), -m / 2);
        break;
      case GgmlType::Q2_K:
        set_f16(b, offsetof(BlockQ2_K, d), m / 45);
        set_f16(b, offsetof(BlockQ2_K, dmin), m / 30);
        break;
      case GgmlType::Q3_K: set_f16(b, offsetof(BlockQ3_K, d), m / 128); break;
      case GgmlType::Q4_K:
        set_f16(b, offsetof(BlockQ4_K, d), m / (63 * 15));
        set_f16(b, offsetof(BlockQ4_K, dmin), m / 126);
        break;
      case GgmlType::Q5_K:
        set_f16(b, offsetof(BlockQ5_K, d), m / (63 * 31));
        set_f16(b, offsetof(BlockQ5_K, dmin), m / 126);
        break;
      case GgmlType::Q6_K: set_f16(b, offsetof(BlockQ6_K, d), m / 4096); break;
      default: fail("random_blocks: ", info.name, " is not a block type");
    }
  }
  return out;
}

int write_store_as_gguf(const TensorStore& src, const std::string& path, gguf::GgmlType type, const FakeMetadata& extra,
                        const std::string& arch) {
  using namespace gguf;
  const GgmlTypeInfo& info = ggml_type_info(type);
  std::vector<FakeTensor> tensors;
  int quantized = 0;
  uint32_t seed = 1;
  for (const auto& name : src.names()) {
    const Tensor t = to_f32(src.get(name));
    FakeTensor f{name, {}, static_cast<uint32_t>(GgmlType::F32), {}};
    for (int d = t.ndim() - 1; d >= 0; --d) f.ne.push_back(static_cast<uint64_t>(t.dim(d)));
    const std::vector<float> v = to_vector(t);
    if (type == GgmlType::F16 || type == GgmlType::BF16) {
      f.type = static_cast<uint32_t>(type);
      f.data.resize(v.size() * 2);
      for (size_t i = 0; i < v.size(); ++i) {
        const uint16_t h = type == GgmlType::F16 ? f32_to_f16(v[i]) : f32_to_bf16(v[i]);
        std::memcpy(f.data.data() + 2 * i, &h, 2);
      }
      ++quantized;
    } else if (info.block_elems > 1 && t.ndim() == 2 && f.ne[0] % static_cast<uint64_t>(info.block_elems) == 0) {
      float magnitude = 0;
      for (float x : v) magnitude = std::max(magnitude, std::fabs(x));
      f.type = static_cast<uint32_t>(type);
      f.data = random_blocks(type, v.size(), magnitude > 0 ? magnitude : 0.01f, seed++);
      ++quantized;
    } else {
      f.data = f32_bytes(v);
    }
    tensors.push_back(std::move(f));
  }
  write_bytes(path, make_gguf(tensors, 3, arch, extra));
  return quantized;
}

}  // namespace fluxgen::test
