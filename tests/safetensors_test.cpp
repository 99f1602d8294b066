// safetensors: round trips of every dtype through write_safetensors / SafetensorsFile, a clear
// error naming the file (and the tensor) for every malformed header, no crash on any truncation
// or corruption, and atomic writing (a failed write leaves no file and keeps the old one).
#include <gtest/gtest.h>
#include <sys/resource.h>

#include <csignal>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "io/safetensors.h"
#include "tensor/convert.h"
#include "test_support.h"
#include "util/error.h"

namespace fluxgen {
namespace {

namespace fs = std::filesystem;

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

void write_bytes(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

std::string le64(uint64_t v) {
  std::string s(8, '\0');
  for (int i = 0; i < 8; ++i) s[i] = static_cast<char>((v >> (8 * i)) & 0xFF);
  return s;
}

// A safetensors file from a literal header and data section.
std::string make_file(const std::string& header, const std::string& data) { return le64(header.size()) + header + data; }

// The Error message from opening the file, or "" when it opens.
std::string open_error(const std::string& path) {
  try {
    SafetensorsFile::open(path);
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

class SafetensorsTest : public ::testing::Test {
 protected:
  std::string dir = test::temp_dir();
  std::string path(const std::string& name) const { return dir + "/" + name; }

  // Writes `bytes` to a file and expects opening it to fail with a message that starts with the
  // file's path and contains every fragment.
  void expect_malformed(const std::string& name, const std::string& bytes, const std::vector<std::string>& fragments) {
    const std::string p = path(name);
    write_bytes(p, bytes);
    const std::string msg = open_error(p);
    ASSERT_FALSE(msg.empty()) << name << ": opened although malformed";
    EXPECT_EQ(msg.rfind(p + ": ", 0), 0u) << name << ": message does not start with the path: " << msg;
    for (const auto& f : fragments) EXPECT_NE(msg.find(f), std::string::npos) << name << ": \"" << f << "\" not in: " << msg;
  }
};

// --------------------------------------------------------------------------------------------
// Round trips

Tensor random_bytes_tensor(Shape shape, DType dtype, std::mt19937& rng) {
  Tensor t = Tensor::empty(std::move(shape), dtype);
  auto* p = static_cast<uint8_t*>(t.raw_data());
  for (size_t i = 0; i < t.nbytes(); ++i) p[i] = static_cast<uint8_t>(rng());
  if (dtype == DType::BOOL)
    for (size_t i = 0; i < t.nbytes(); ++i) p[i] &= 1;
  return t;
}

TEST_F(SafetensorsTest, EveryDtypeRoundTripsWithMetadata) {
  const DType dtypes[] = {DType::F64, DType::F32, DType::F16,  DType::BF16, DType::F8_E4M3,
                          DType::F8_E5M2, DType::I64, DType::I32, DType::I16, DType::I8,
                          DType::U64, DType::U32, DType::U16, DType::U8,   DType::BOOL};
  std::mt19937 rng(1);
  std::vector<std::pair<std::string, Tensor>> tensors;
  for (DType dt : dtypes) {
    const std::string n(dtype_name(dt));
    tensors.emplace_back("t." + n, random_bytes_tensor({3, 5, 7}, dt, rng));
    tensors.emplace_back("scalar." + n, random_bytes_tensor({}, dt, rng));
    tensors.emplace_back("empty." + n, random_bytes_tensor({4, 0}, dt, rng));
  }
  const std::map<std::string, std::string> meta = {{"format", "pt"}, {"config", R"({"a": [1, 2]})"}, {"empty", ""}};
  const std::string p = path("all.safetensors");
  write_safetensors(p, tensors, meta);

  const auto f = SafetensorsFile::open(p);
  EXPECT_EQ(f->path(), p);
  EXPECT_EQ(f->entries().size(), tensors.size());
  EXPECT_EQ(f->metadata(), meta);
  EXPECT_EQ(f->metadata_value("config"), R"({"a": [1, 2]})");
  EXPECT_EQ(f->metadata_value("absent"), "");
  for (size_t i = 1; i < f->entries().size(); ++i) EXPECT_LT(f->entries()[i - 1].name, f->entries()[i].name);
  for (const auto& [name, t] : tensors) {
    ASSERT_TRUE(f->contains(name)) << name;
    const Tensor r = f->get(name);
    EXPECT_EQ(r.dtype(), t.dtype()) << name;
    EXPECT_EQ(r.shape(), t.shape()) << name;
    ASSERT_EQ(r.nbytes(), t.nbytes()) << name;
    EXPECT_EQ(std::memcmp(r.raw_data(), t.raw_data(), t.nbytes()), 0) << name;
  }
  EXPECT_EQ(f->get("scalar.F32").numel(), 1);
  EXPECT_EQ(f->get("empty.F64").numel(), 0);
  // The data section starts 8-byte aligned, and a tensor's view is zero-copy into the mapping.
  const std::string bytes = slurp(p);
  uint64_t header_len = 0;
  for (int i = 7; i >= 0; --i) header_len = (header_len << 8) | static_cast<uint8_t>(bytes[i]);
  EXPECT_EQ((8 + header_len) % 8, 0u);
  EXPECT_EQ(f->get("t.F32").raw_data(), f->get("t.F32").raw_data());
  // A view keeps the mapping alive after the file object is gone.
  Tensor kept;
  {
    auto g = SafetensorsFile::open(p);
    kept = g->get("t.U8");
  }
  const Tensor& written = tensors[13 * 3].second;
  ASSERT_EQ(tensors[13 * 3].first, "t.U8");
  EXPECT_EQ(std::memcmp(kept.raw_data(), written.raw_data(), written.nbytes()), 0);
}

TEST_F(SafetensorsTest, FloatValuesSurviveAndMissingTensorsAreNamed) {
  const Tensor a = Tensor::from_vector({2, 2}, {1.5f, -2.0f, 3.25f, 0.0f});
  const std::string p = path("vals.safetensors");
  write_safetensors(p, {{"a", a}, {"b16", convert(a, DType::BF16)}});
  const auto f = SafetensorsFile::open(p);
  EXPECT_EQ(to_vector(f->get("a")), to_vector(a));
  EXPECT_EQ(to_vector(f->get("b16")), to_vector(a));
  try {
    f->get("nope");
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()), p + ": tensor nope is missing");
  }
  EXPECT_EQ(f->find("nope"), nullptr);
}

TEST_F(SafetensorsTest, MisalignedTensorsFromOtherWritersAreCopiedAligned) {
  // BF16[3] (6 bytes) then F32[2] at offset 6, and a header length of 61 (odd): legal files that
  // put the F32 data at an address that is not a multiple of 4.
  std::string header = R"({"h":{"dtype":"BF16","shape":[3],"data_offsets":[0,6]},"f":{"dtype":"F32","shape":[2],"data_offsets":[6,14]}})";
  ASSERT_EQ(header.size() % 2, 1u);
  std::string data;
  for (uint16_t v : {0x3F80, 0x4000, 0xC040}) data += std::string(reinterpret_cast<const char*>(&v), 2);
  for (float v : {1.25f, -7.5f}) data += std::string(reinterpret_cast<const char*>(&v), 4);
  write_bytes(path("odd.safetensors"), make_file(header, data));
  const auto f = SafetensorsFile::open(path("odd.safetensors"));
  const Tensor t = f->get("f");
  EXPECT_EQ(reinterpret_cast<uintptr_t>(t.raw_data()) % 4, 0u);
  EXPECT_EQ(t.f32()[0], 1.25f);
  EXPECT_EQ(t.f32()[1], -7.5f);
  const Tensor h = f->get("h");
  EXPECT_EQ(reinterpret_cast<uintptr_t>(h.raw_data()) % 2, 0u);
  EXPECT_EQ(to_vector(h), (std::vector<float>{1.0f, 2.0f, -3.0f}));
}

// --------------------------------------------------------------------------------------------
// Malformed files: one case each

const std::string kGoodEntry = R"("t":{"dtype":"F32","shape":[2],"data_offsets":[0,8]})";
const std::string kEightBytes(8, '\0');

TEST_F(SafetensorsTest, TooShortForTheHeaderLength) {
  expect_malformed("empty", "", {"0 bytes is too short"});
  expect_malformed("five", "abcde", {"5 bytes is too short"});
}

TEST_F(SafetensorsTest, HeaderLengthPastTheEnd) {
  expect_malformed("past", le64(100) + "{}", {"header length 100 runs past the end of the file (10 bytes)"});
}

TEST_F(SafetensorsTest, AbsurdHeaderSize) {
  expect_malformed("absurd", le64(uint64_t(1) << 60) + "{}", {"header length 1152921504606846976 is absurd"});
  expect_malformed("max", le64(~uint64_t(0)) + "{}", {"is absurd"});
  expect_malformed("tiny", le64(1) + "{", {"header of 1 bytes cannot hold a JSON object"});
}

TEST_F(SafetensorsTest, InvalidJson) {
  expect_malformed("json", make_file(R"({"t": {"dtype": "F32",)", ""), {"invalid safetensors header", "JSON error at byte"});
  expect_malformed("garbage", make_file("\x89PNG\r\n\x1a\n", ""), {"invalid safetensors header"});
  expect_malformed("trailing", make_file("{} x", ""), {"unexpected data after the JSON value"});
  expect_malformed("deep", make_file(std::string(40, '[') + std::string(40, ']'), ""), {"nesting deeper than"});
}

TEST_F(SafetensorsTest, HeaderNotAnObject) {
  expect_malformed("array", make_file("[1, 2]", ""), {"safetensors header is not a JSON object"});
  expect_malformed("string", make_file("\"str\"", ""), {"not a JSON object"});
}

TEST_F(SafetensorsTest, EntryFieldsMissingOrIllTyped) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {R"({"t": 5})", "tensor t: header entry is not an object"},
      {R"({"t":{"shape":[2],"data_offsets":[0,8]}})", R"(tensor t: missing or non-string "dtype")"},
      {R"({"t":{"dtype":4,"shape":[2],"data_offsets":[0,8]}})", R"(tensor t: missing or non-string "dtype")"},
      {R"({"t":{"dtype":"F32","data_offsets":[0,8]}})", R"(tensor t: missing or non-array "shape")"},
      {R"({"t":{"dtype":"F32","shape":2,"data_offsets":[0,8]}})", R"(tensor t: missing or non-array "shape")"},
      {R"({"t":{"dtype":"F32","shape":[2.5],"data_offsets":[0,8]}})", "tensor t: shape entries must be non-negative integers"},
      {R"({"t":{"dtype":"F32","shape":["2"],"data_offsets":[0,8]}})", "tensor t: shape entries must be non-negative integers"},
      {R"({"t":{"dtype":"F32","shape":[2]}})", R"(tensor t: "data_offsets" must be two integers)"},
      {R"({"t":{"dtype":"F32","shape":[2],"data_offsets":"0,8"}})", R"(tensor t: "data_offsets" must be two integers)"},
      {R"({"t":{"dtype":"F32","shape":[2],"data_offsets":[0]}})", R"(tensor t: "data_offsets" must be two integers)"},
      {R"({"t":{"dtype":"F32","shape":[2],"data_offsets":[0,8,16]}})", R"(tensor t: "data_offsets" must be two integers)"},
      {R"({"t":{"dtype":"F32","shape":[2],"data_offsets":[0,8.0]}})", R"(tensor t: "data_offsets" must be two integers)"},
      {R"({"t":{"dtype":"F32","shape":[2],"data_offsets":[0,99999999999999999999]}})", R"(tensor t: "data_offsets" must be two integers)"},
  };
  int i = 0;
  for (const auto& [header, fragment] : cases) expect_malformed("field" + std::to_string(i++), make_file(header, kEightBytes), {fragment});
}

TEST_F(SafetensorsTest, UnknownDtype) {
  expect_malformed("f12", make_file(R"({"w":{"dtype":"F12","shape":[2],"data_offsets":[0,8]}})", kEightBytes),
                   {R"(tensor w: unknown dtype "F12")"});
  // fluxgen's in-memory 4-bit formats have no safetensors spelling.
  expect_malformed("nf4", make_file(R"({"w":{"dtype":"NF4","shape":[16],"data_offsets":[0,8]}})", kEightBytes),
                   {R"(tensor w: unknown dtype "NF4")"});
  expect_malformed("lower", make_file(R"({"w":{"dtype":"f32","shape":[2],"data_offsets":[0,8]}})", kEightBytes),
                   {R"(unknown dtype "f32")"});
}

TEST_F(SafetensorsTest, NegativeAndOverflowingShapes) {
  expect_malformed("neg", make_file(R"({"w":{"dtype":"F32","shape":[-2],"data_offsets":[0,8]}})", kEightBytes),
                   {"tensor w: shape entries must be non-negative integers"});
  expect_malformed("overflow",
                   make_file(R"({"w":{"dtype":"F32","shape":[4294967296,4294967296,16],"data_offsets":[0,8]}})", kEightBytes),
                   {"tensor w: shape [4294967296,4294967296,16] overflows"});
  expect_malformed("bytes_overflow",
                   make_file(R"({"w":{"dtype":"F64","shape":[4611686018427387904],"data_offsets":[0,8]}})", kEightBytes),
                   {"tensor w: shape [4611686018427387904] overflows"});
  expect_malformed("dims", make_file(R"({"w":{"dtype":"F32","shape":[1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1],"data_offsets":[0,4]}})", kEightBytes),
                   {"tensor w: shape has 17 dimensions"});
}

TEST_F(SafetensorsTest, OffsetsOutOfRangeOrReversed) {
  expect_malformed("range", make_file(R"({"w":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}})", kEightBytes),
                   {"tensor w: data_offsets [0, 16] run past the end of the data (8 bytes"});
  expect_malformed("reversed", make_file(R"({"w":{"dtype":"F32","shape":[1],"data_offsets":[8,4]}})", kEightBytes),
                   {"tensor w: data_offsets [8, 4] are not an increasing pair"});
  expect_malformed("negative", make_file(R"({"w":{"dtype":"F32","shape":[1],"data_offsets":[-4,0]}})", kEightBytes),
                   {"tensor w: data_offsets [-4, 0] are not an increasing pair"});
}

TEST_F(SafetensorsTest, OverlappingTensors) {
  expect_malformed("overlap",
                   make_file(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}})",
                             std::string(12, '\0')),
                   {"tensors a and b overlap"});
  expect_malformed("nested",
                   make_file(R"({"big":{"dtype":"U8","shape":[12],"data_offsets":[0,12]},"c":{"dtype":"U8","shape":[1],"data_offsets":[11,12]},"a":{"dtype":"U8","shape":[2],"data_offsets":[2,4]}})",
                             std::string(12, '\0')),
                   {"overlap"});
  expect_malformed("same",
                   make_file(R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"b":{"dtype":"I32","shape":[1],"data_offsets":[0,4]}})",
                             std::string(4, '\0')),
                   {"tensors a and b overlap"});
  // Empty tensors occupy no bytes, wherever their offsets point; adjacency is fine.
  write_bytes(path("ok"), make_file(R"({"a":{"dtype":"F32","shape":[0],"data_offsets":[4,4]},"b":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"c":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}})",
                                    kEightBytes));
  EXPECT_EQ(open_error(path("ok")), "");
}

TEST_F(SafetensorsTest, ByteCountMustMatchShapeAndDtype) {
  expect_malformed("short", make_file(R"({"w":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}})", kEightBytes),
                   {"tensor w: holds 8 bytes but F32[3] needs 12"});
  expect_malformed("long", make_file(R"({"w":{"dtype":"BF16","shape":[2],"data_offsets":[0,8]}})", kEightBytes),
                   {"tensor w: holds 8 bytes but BF16[2] needs 4"});
}

TEST_F(SafetensorsTest, DuplicateTensorNames) {
  expect_malformed("dup",
                   make_file(R"({"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"w":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}})", kEightBytes),
                   {"tensor w appears twice"});
}

TEST_F(SafetensorsTest, MetadataMustMapStringsToStrings) {
  expect_malformed("meta_value", make_file(R"({"__metadata__":{"format":"pt","epoch":3},)" + kGoodEntry + "}", kEightBytes),
                   {R"(__metadata__ value for "epoch" is not a string)"});
  expect_malformed("meta_type", make_file(R"({"__metadata__":["x"]})", ""), {"__metadata__ is not an object"});
}

TEST_F(SafetensorsTest, PathsThatAreNotFiles) {
  const std::string missing = path("missing.safetensors");
  EXPECT_EQ(open_error(missing), missing + ": cannot open: No such file or directory");
  EXPECT_EQ(open_error(dir), dir + ": is a directory, not a file");
}

// Every prefix of a valid file, and many random corruptions of its header: each either opens
// (corruptions inside string values) or throws fluxgen::Error; nothing else may happen.
TEST_F(SafetensorsTest, TruncationsAndCorruptionsNeverCrash) {
  const std::string p = path("good.safetensors");
  write_safetensors(p, {{"a.weight", Tensor::full({4, 3}, 1.0f)}, {"b", Tensor::zeros({5}, DType::BF16)}}, {{"k", "v"}});
  const std::string good = slurp(p);
  int errors = 0;
  for (size_t len = 0; len < good.size(); ++len) {
    write_bytes(path("cut"), good.substr(0, len));
    try {
      const auto f = SafetensorsFile::open(path("cut"));
      for (const auto& e : f->entries()) (void)to_vector(f->get(e.name));
    } catch (const Error& e) {
      ++errors;
      EXPECT_EQ(std::string(e.what()).rfind(path("cut"), 0), 0u) << e.what();
    }
  }
  EXPECT_EQ(errors, static_cast<int>(good.size())) << "every truncation is detected";
  std::mt19937 rng(3);
  const size_t header_end = 8 + (static_cast<uint8_t>(good[0]) | static_cast<uint8_t>(good[1]) << 8);
  for (int trial = 0; trial < 3000; ++trial) {
    std::string bad = good;
    const int flips = 1 + static_cast<int>(rng() % 4);
    for (int k = 0; k < flips; ++k) bad[rng() % header_end] = static_cast<char>(rng());
    try {
      const SafetensorsHeader h = parse_safetensors_header(reinterpret_cast<const uint8_t*>(bad.data()), bad.size(), "bad");
      for (const auto& e : h.tensors) ASSERT_LE(h.data_offset + e.end, bad.size());
    } catch (const Error& e) {
      ASSERT_EQ(std::string(e.what()).rfind("bad: ", 0), 0u) << e.what();
    }
  }
}

// --------------------------------------------------------------------------------------------
// Writing

size_t files_in(const std::string& dir) {
  size_t n = 0;
  for ([[maybe_unused]] const auto& e : fs::directory_iterator(dir)) ++n;
  return n;
}

std::string write_error(const std::string& p, const std::vector<std::pair<std::string, Tensor>>& tensors) {
  try {
    write_safetensors(p, tensors);
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

TEST_F(SafetensorsTest, WriterRefusesWhatItCannotWriteAndLeavesNoFile) {
  const std::string p = path("w.safetensors");
  const Tensor q = convert(Tensor::full({64}, 1.0f), DType::NF4);
  EXPECT_EQ(write_error(p, {{"ok", Tensor::full({2}, 1.0f)}, {"q", q}}),
            p + ": cannot write q: NF4 has no safetensors dtype");
  EXPECT_EQ(write_error(p, {{"a", Tensor::full({2}, 1.0f)}, {"a", Tensor::full({2}, 1.0f)}}), p + ": duplicate tensor name a");
  EXPECT_EQ(write_error(p, {{"__metadata__", Tensor::full({2}, 1.0f)}}), p + ": duplicate tensor name __metadata__");
  EXPECT_EQ(write_error(p, {{"a", Tensor::full({2}, 1.0f)}, {"u", Tensor()}}), p + ": cannot write u: undefined tensor");
  EXPECT_EQ(files_in(dir), 0u) << "no file, no temporary left behind";
  const std::string nodir = dir + "/no/such/folder/x.safetensors";
  const std::string msg = write_error(nodir, {{"a", Tensor::full({2}, 1.0f)}});
  EXPECT_EQ(msg.rfind(nodir + ": cannot create", 0), 0u) << msg;
  EXPECT_FALSE(fs::exists(dir + "/no"));
}

TEST_F(SafetensorsTest, FailedWriteMidwayLeavesNoFileAndKeepsTheOldOne) {
  const std::string p = path("model.safetensors");
  write_safetensors(p, {{"old", Tensor::full({4}, 7.0f)}});
  const std::string original = slurp(p);
  // Make the OS refuse writes past 64 KiB (EFBIG) while a 4 MiB tensor is written.
  struct rlimit saved {};
  ASSERT_EQ(getrlimit(RLIMIT_FSIZE, &saved), 0);
  auto* old_handler = std::signal(SIGXFSZ, SIG_IGN);
  struct rlimit small = saved;
  small.rlim_cur = 64 << 10;
  ASSERT_EQ(setrlimit(RLIMIT_FSIZE, &small), 0);
  const std::string msg = write_error(p, {{"new", Tensor::full({1 << 20}, 1.0f)}});
  setrlimit(RLIMIT_FSIZE, &saved);
  std::signal(SIGXFSZ, old_handler);
  EXPECT_EQ(msg.rfind(p + ": write failed", 0), 0u) << msg;
  EXPECT_EQ(slurp(p), original) << "the previous file is untouched";
  EXPECT_EQ(files_in(dir), 1u) << "no temporary file left behind";
  EXPECT_EQ(to_vector(SafetensorsFile::open(p)->get("old")), std::vector<float>(4, 7.0f));
}

TEST_F(SafetensorsTest, AtomicFileWriterWithoutCommitLeavesNothing) {
  const std::string p = path("partial.bin");
  {
    AtomicFileWriter w(p);
    w.write("abc", 3);
    EXPECT_EQ(files_in(dir), 1u);  // only the temporary exists while writing
    EXPECT_FALSE(fs::exists(p));
  }
  EXPECT_EQ(files_in(dir), 0u);
  write_file_atomically(p, "xyz", 3);
  EXPECT_EQ(slurp(p), "xyz");
  EXPECT_EQ(read_text_file(p), "xyz");
  EXPECT_THROW(read_text_file(path("absent")), Error);
}

}  // namespace
}  // namespace fluxgen
