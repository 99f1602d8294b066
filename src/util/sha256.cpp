#include "util/sha256.h"

#include <openssl/evp.h>

#include <cstdio>
#include <memory>
#include <vector>

#include "util/error.h"

namespace fluxgen {

Sha256::Sha256() : ctx_(EVP_MD_CTX_new()) {
  if (!ctx_) fail("sha256: libcrypto could not allocate a digest context (out of memory)");
  if (EVP_DigestInit_ex(ctx_, EVP_sha256(), nullptr) != 1) {
    EVP_MD_CTX_free(ctx_);
    fail("sha256: libcrypto could not start a SHA-256 digest");
  }
}

Sha256::~Sha256() { EVP_MD_CTX_free(ctx_); }

void Sha256::update(const void* data, size_t size) {
  if (size == 0) return;
  check(EVP_DigestUpdate(ctx_, data, size) == 1, "sha256: libcrypto failed to hash ", size, " bytes");
}

std::string Sha256::hex_digest() {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  check(EVP_DigestFinal_ex(ctx_, digest, &length) == 1 && length == 32, "sha256: libcrypto failed to finish the digest");
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out(64, '0');
  for (unsigned int i = 0; i < 32; ++i) {
    out[2 * i] = kHex[digest[i] >> 4];
    out[2 * i + 1] = kHex[digest[i] & 0xF];
  }
  return out;
}

std::string sha256_hex(const void* data, size_t size) {
  Sha256 s;
  s.update(data, size);
  return s.hex_digest();
}

std::string sha256_file(const std::string& path) {
  struct Close {
    void operator()(std::FILE* f) const { std::fclose(f); }
  };
  const std::unique_ptr<std::FILE, Close> f(std::fopen(path.c_str(), "rb"));
  if (!f) fail(path, ": cannot open for hashing");
  Sha256 s;
  std::vector<uint8_t> buf(size_t{4} << 20);
  size_t n;
  while ((n = std::fread(buf.data(), 1, buf.size(), f.get())) > 0) s.update(buf.data(), n);
  if (std::ferror(f.get())) fail(path, ": read error while hashing");
  return s.hex_digest();
}

}  // namespace fluxgen
