// A read-only view of a zip archive held in memory (a mapped file): what torch.save writes since
// PyTorch 1.6. Entries are found through the central directory (torch sets the data-descriptor flag,
// so local headers carry no sizes); zip64 records are followed for archives over 4 GiB. Stored
// entries are handed out zero-copy; deflated ones (archives re-zipped by other tools) are inflated
// when zlib is available and refused clearly otherwise.
#pragma once
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace fluxgen::torch_pickle {

struct ZipEntry {
  std::string name;
  uint16_t flags = 0;
  uint16_t method = 0;  // 0 stored, 8 deflated
  uint32_t crc32 = 0;
  uint64_t compressed_size = 0;
  uint64_t size = 0;
  uint64_t local_header_offset = 0;
};

struct ZipPayload {
  const uint8_t* data = nullptr;
  size_t size = 0;
  // Holds the inflated bytes of a deflated entry (null for stored entries, which point into the archive).
  std::shared_ptr<const std::vector<uint8_t>> owned;
};

class ZipArchive {
 public:
  // Parses and validates the central directory of the archive in data[0, size). `what` names the
  // file in messages.
  ZipArchive(const uint8_t* data, size_t size, std::string what);

  const std::vector<ZipEntry>& entries() const { return entries_; }
  // nullptr when absent.
  const ZipEntry* find(std::string_view name) const;
  // The entry's bytes. `verify_crc` checks the stored CRC-32 (always done for inflated entries).
  ZipPayload read(const ZipEntry& entry, bool verify_crc) const;
  const std::string& what() const { return what_; }

 private:
  const uint8_t* data_;
  size_t size_;
  std::string what_;
  std::vector<ZipEntry> entries_;
  std::map<std::string, size_t, std::less<>> by_name_;
};

// True when the bytes start like a zip archive.
bool looks_like_zip(const uint8_t* data, size_t size);
uint32_t crc32_of(const uint8_t* data, size_t size);

}  // namespace fluxgen::torch_pickle
