// GGUF: the block decoders against golden data from ggml's own quantize/dequantize
// (tools/gen_gguf_goldens.sh), and the reader against well-formed and hostile files.
#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "io/gguf.h"
#include "io/tensor_store.h"
#include "tensor/convert.h"
#include "tensor/gguf_blocks.h"
#include "util/error.h"
#include "gguf_test_writer.h"

using namespace fluxgen;
using namespace fluxgen::gguf;

using fluxgen::test::f32_bytes;
using fluxgen::test::FakeTensor;
using fluxgen::test::make_gguf;

namespace {

std::vector<uint8_t> read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  EXPECT_TRUE(in.good()) << path;
  return std::vector<uint8_t>(std::istreambuf_iterator<char>(in), {});
}

std::string golden(const std::string& name) { return std::string(FLUXGEN_TEST_FIXTURES) + "/../data/gguf/" + name; }

struct GoldenCase {
  const char* file;
  GgmlType type;
};

class GgufGolden : public ::testing::TestWithParam<GoldenCase> {};

TEST_P(GgufGolden, DecodesBitExactlyAsGgml) {
  const auto& c = GetParam();
  const auto blocks = read_bytes(golden(std::string(c.file) + ".blocks"));
  const auto expected_bytes = read_bytes(golden(std::string(c.file) + ".f32"));
  const size_t n = expected_bytes.size() / 4;
  ASSERT_EQ(n, 512u);
  const auto& info = ggml_type_info(c.type);
  ASSERT_EQ(blocks.size(), ggml_bytes(c.type, n));
  std::vector<float> out(n);
  dequantize_blocks(c.type, blocks.data(), static_cast<int64_t>(n / static_cast<size_t>(info.block_elems)), out.data());
  for (size_t i = 0; i < n; ++i) {
    uint32_t want, got;
    std::memcpy(&want, expected_bytes.data() + 4 * i, 4);
    std::memcpy(&got, &out[i], 4);
    ASSERT_EQ(got, want) << info.name << " element " << i;
  }
  // The quantized values really are close to the input (the goldens are not all zeros).
  const auto input = read_bytes(golden("input.f32"));
  double err = 0, mag = 0;
  for (size_t i = 0; i < n; ++i) {
    float x;
    std::memcpy(&x, input.data() + 4 * i, 4);
    err += std::abs(x - out[i]);
    mag += std::abs(x);
  }
  EXPECT_LT(err / mag, 0.5) << info.name;
}

INSTANTIATE_TEST_SUITE_P(AllTypes, GgufGolden,
                         ::testing::Values(GoldenCase{"f16", GgmlType::F16}, GoldenCase{"bf16", GgmlType::BF16},
                                           GoldenCase{"q8_0", GgmlType::Q8_0}, GoldenCase{"q4_0", GgmlType::Q4_0},
                                           GoldenCase{"q4_1", GgmlType::Q4_1}, GoldenCase{"q5_0", GgmlType::Q5_0},
                                           GoldenCase{"q5_1", GgmlType::Q5_1}, GoldenCase{"q2_k", GgmlType::Q2_K},
                                           GoldenCase{"q3_k", GgmlType::Q3_K}, GoldenCase{"q4_k", GgmlType::Q4_K},
                                           GoldenCase{"q5_k", GgmlType::Q5_K}, GoldenCase{"q6_k", GgmlType::Q6_K}),
                         [](const auto& info) { return std::string(info.param.file); });

std::string error_of(const std::vector<uint8_t>& bytes) {
  try {
    parse_header(bytes.data(), bytes.size(), "bad.gguf");
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

std::vector<FakeTensor> two_tensors() {
  return {{"a.weight", {4, 2}, 0, f32_bytes({1, 2, 3, 4, 5, 6, 7, 8})},
          {"b.weight", {32, 1}, 8, std::vector<uint8_t>(34, 1)}};  // one Q8_0 block
}

// Rewrites the data offset of two_tensors()' b.weight in a written file: the offset follows the
// name, its two dimensions (u32 count + 2 × u64) and its type (u32).
void set_b_weight_offset(std::vector<uint8_t>& file, uint64_t offset) {
  const std::string name = "b.weight";
  const auto it = std::search(file.begin(), file.end(), name.begin(), name.end());
  ASSERT_NE(it, file.end());
  const size_t pos = static_cast<size_t>(it - file.begin()) + name.size() + 4 + 16 + 4;
  std::memcpy(file.data() + pos, &offset, 8);
}

}  // namespace

TEST(GgufReader, ParsesMetadataShapesAndData) {
  auto t = two_tensors();
  t[1].data = read_bytes(golden("q8_0.blocks"));
  t[1].data.resize(34);  // the first golden Q8_0 block
  const auto bytes = make_gguf(t);
  const Header h = parse_header(bytes.data(), bytes.size(), "ok.gguf");
  EXPECT_EQ(h.version, 3u);
  EXPECT_EQ(h.metadata.at("general.architecture").s, "flux");
  ASSERT_EQ(h.tensors.size(), 2u);
  EXPECT_EQ(h.tensors[0].torch_shape(), (Shape{2, 4}));  // ggml order reversed
  EXPECT_EQ(h.tensors[1].type, GgmlType::Q8_0);
  EXPECT_EQ(h.tensors[1].bytes, 34u);
  EXPECT_EQ(h.data_offset % 32, 0u);
  // Version 2 has the same layout.
  const auto v2 = make_gguf(t, 2);
  EXPECT_EQ(parse_header(v2.data(), v2.size(), "v2.gguf").version, 2u);

  const std::string path = testing::TempDir() + "/tiny.gguf";
  std::ofstream(path, std::ios::binary).write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
  EXPECT_TRUE(is_gguf_file(path));
  auto f = GgufFile::open(path);
  const Tensor a = f->get(*f->find("a.weight"));
  EXPECT_EQ(a.shape(), (Shape{2, 4}));
  EXPECT_EQ(to_vector(a), (std::vector<float>{1, 2, 3, 4, 5, 6, 7, 8}));
  // The block tensor stays in its type, zero-copy, and decodes through decode_range.
  const Tensor b = f->get(*f->find("b.weight"));
  EXPECT_EQ(b.dtype(), DType::Q8_0);
  EXPECT_EQ(b.nbytes(), 34u);
  EXPECT_EQ(b.raw_data(), static_cast<const void*>(f->data(*f->find("b.weight"))));
  EXPECT_EQ(to_vector(b), to_vector(f->get_f32(*f->find("b.weight"))));
  const auto q = to_vector(f->get_f32(*f->find("b.weight")));
  const auto want = read_bytes(golden("q8_0.f32"));
  ASSERT_EQ(q.size(), 32u);
  EXPECT_EQ(std::memcmp(q.data(), want.data(), 32 * 4), 0);
}

TEST(GgufReader, RefusesHostileFilesNamingTheProblem) {
  auto good = make_gguf(two_tensors());
  const auto expect_error = [](const std::vector<uint8_t>& bytes, const std::string& part) {
    const std::string e = error_of(bytes);
    EXPECT_EQ(e.rfind("bad.gguf: ", 0), 0u) << e;
    EXPECT_NE(e.find(part), std::string::npos) << "wanted '" << part << "' in: " << e;
  };
  // Truncated anywhere: the header or the data.
  for (size_t cut : {size_t{3}, size_t{10}, size_t{30}, size_t{60}, good.size() - 1})
    expect_error(std::vector<uint8_t>(good.begin(), good.begin() + static_cast<long>(cut)),
                 cut == 3 ? "not a GGUF file" : "truncated");
  auto bad = good;
  bad[0] = 'X';
  expect_error(bad, "not a GGUF file");
  bad = good;
  bad[4] = 1;  // version 1
  expect_error(bad, "version 1");
  bad = good;
  bad[8] = 0xFF; bad[9] = 0xFF; bad[10] = 0xFF;  // tensor count
  expect_error(bad, "tensors (limit");
  bad = good;
  bad[16] = 0xFF; bad[17] = 0xFF; bad[18] = 0xFF;  // metadata count
  expect_error(bad, "metadata entries (limit");
  bad = good;
  bad[24 + 7] = 0x10;  // first key's string length: huge
  expect_error(bad, "claims a string");

  auto t = two_tensors();
  t[0].ne = {4, 0};
  expect_error(make_gguf(t), "dimension 1 is 0");
  t = two_tensors();
  t[0].ne = {1, 1, 1, 1, 1};
  expect_error(make_gguf(t), "5 dimensions");
  t = two_tensors();
  t[1].type = 20;  // IQ4_NL: not supported
  expect_error(make_gguf(t), "ggml type 20 is not supported");
  t = two_tensors();
  t[1].ne = {16, 2};  // Q8_0 rows must be whole blocks of 32
  expect_error(make_gguf(t), "not whole Q8_0 blocks");
  t = two_tensors();
  t[1].name = "a.weight";
  expect_error(make_gguf(t), "appears twice");
  t = two_tensors();
  t[0].ne = {4, 64};  // claims more bytes than the file holds
  expect_error(make_gguf(t), "runs past the end");
  t = two_tensors();
  t[0].ne = {16, 2};  // 128 bytes: now overlaps b.weight's offset 32
  t[0].data.resize(128);
  auto overlapping = make_gguf({t[0], t[1]});
  // make_gguf spaced the offsets by the real sizes; rewrite b.weight's offset to 32.
  set_b_weight_offset(overlapping, 32);
  expect_error(overlapping, "overlap");
  // An offset that is not a multiple of the alignment.
  {
    auto misaligned = good;
    set_b_weight_offset(misaligned, 33);
    expect_error(misaligned, "not a multiple of the alignment");
  }
  // general.alignment not a power of two.
  {
    auto b2 = good;
    const std::string key = "general.alignment";
    auto it = std::search(b2.begin(), b2.end(), key.begin(), key.end());
    const size_t pos = static_cast<size_t>(it - b2.begin()) + key.size() + 4;
    const uint32_t a = 24;
    std::memcpy(b2.data() + pos, &a, 4);
    expect_error(b2, "not a power of two");
  }
}

TEST(GgufReader, OpenErrorNamesTheFile) {
  const std::string path = testing::TempDir() + "/cut.gguf";
  auto bytes = make_gguf(two_tensors());
  bytes.resize(bytes.size() - 40);
  std::ofstream(path, std::ios::binary).write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
  try {
    GgufFile::open(path);
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(path), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("truncated"), std::string::npos) << e.what();
  }
}
