// SHA-256 (FIPS 180-4), for A1111's model and LoRA hashes (first 10 / 12 hex digits of a file's
// sha256) and for cache keys.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>

namespace fluxgen {

class Sha256 {
 public:
  Sha256();
  void update(const void* data, size_t size);
  // Lower-case hex digest; the object must not be updated afterwards.
  std::string hex_digest();

 private:
  void block(const uint8_t* p);
  uint32_t h_[8];
  uint8_t buf_[64];
  size_t buf_len_ = 0;
  uint64_t total_ = 0;
};

std::string sha256_hex(const void* data, size_t size);
// Hash of a whole file, read in chunks; throws naming the file on I/O errors.
std::string sha256_file(const std::string& path);

}  // namespace fluxgen
