// SHA-256 (FIPS 180-4), for A1111's model and LoRA hashes (first 10 / 12 hex digits of a file's
// sha256) and for cache keys. The digest is computed by OpenSSL's libcrypto, which picks the
// CPU's SHA extensions (SHA-NI) or its vector units at run time.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>

struct evp_md_ctx_st;  // OpenSSL's EVP_MD_CTX, kept out of this header

namespace fluxgen {

class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;
  void update(const void* data, size_t size);
  // Lower-case hex digest; the object must not be updated afterwards.
  std::string hex_digest();

 private:
  evp_md_ctx_st* ctx_;
};

std::string sha256_hex(const void* data, size_t size);
// Hash of a whole file, read in chunks; throws naming the file on I/O errors.
std::string sha256_file(const std::string& path);

}  // namespace fluxgen
