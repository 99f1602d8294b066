// SHA-256 against the FIPS 180-2 test vectors (appendix B and C of the standard), and the streamed
// forms (update in pieces, a file read in chunks) against the one-shot digest.
#include "util/sha256.h"

#include <gtest/gtest.h>

#include <fstream>
#include <string>

#include "test_support.h"

namespace fluxgen {
namespace {

TEST(Sha256, FipsVectorEmptyMessage) {
  EXPECT_EQ(sha256_hex("", 0), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

TEST(Sha256, FipsVectorAbc) {
  EXPECT_EQ(sha256_hex("abc", 3), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(Sha256, FipsVector448Bits) {
  const std::string m = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
  ASSERT_EQ(m.size() * 8, 448u);
  EXPECT_EQ(sha256_hex(m.data(), m.size()), "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

TEST(Sha256, FipsVectorOneMillionA) {
  const std::string m(1000000, 'a');
  EXPECT_EQ(sha256_hex(m.data(), m.size()), "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

TEST(Sha256, UpdatesInPiecesEqualTheOneShotDigest) {
  // Pieces that straddle the 64-byte block boundary in every way: 1, 63, 64, 65 and odd sizes.
  std::string m;
  for (int i = 0; i < 5000; ++i) m.push_back(static_cast<char>((i * 131 + 7) & 0xFF));
  Sha256 s;
  size_t pos = 0;
  for (size_t piece : {size_t{1}, size_t{63}, size_t{64}, size_t{65}, size_t{0}, size_t{1000}, size_t{127}}) {
    s.update(m.data() + pos, piece);
    pos += piece;
  }
  s.update(m.data() + pos, m.size() - pos);
  EXPECT_EQ(s.hex_digest(), sha256_hex(m.data(), m.size()));
}

TEST(Sha256, FileHashEqualsTheOneShotDigest) {
  // Larger than sha256_file's read chunk, and not a multiple of it, so several reads and a short last one.
  std::string m(9 * 1024 * 1024 + 12345, '\0');
  for (size_t i = 0; i < m.size(); ++i) m[i] = static_cast<char>((i * 2654435761u) >> 24);
  const std::string path = test::temp_dir() + "/payload.bin";
  std::ofstream(path, std::ios::binary).write(m.data(), static_cast<std::streamsize>(m.size()));
  EXPECT_EQ(sha256_file(path), sha256_hex(m.data(), m.size()));
}

TEST(Sha256, FileHashOfTheMillionAVector) {
  const std::string path = test::temp_dir() + "/a.bin";
  std::ofstream(path, std::ios::binary) << std::string(1000000, 'a');
  EXPECT_EQ(sha256_file(path), "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

TEST(Sha256, MissingFileNamesThePath) {
  const std::string path = test::temp_dir() + "/absent.safetensors";
  const std::string err = test::error_of([&] { sha256_file(path); });
  EXPECT_NE(err.find(path), std::string::npos) << err;
  EXPECT_NE(err.find("cannot open for hashing"), std::string::npos) << err;
}

}  // namespace
}  // namespace fluxgen
