#include "io/torch_pickle/zip_archive.h"

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstring>

#include "io/torch_pickle/pickle_value.h"
#include "util/error.h"

#if defined(FLUXGEN_WITH_ZLIB)
#include <zlib.h>
#endif

namespace fluxgen::torch_pickle {
namespace {

constexpr uint32_t kLocalHeader = 0x04034b50;
constexpr uint32_t kCentralHeader = 0x02014b50;
constexpr uint32_t kEndOfCentralDir = 0x06054b50;
constexpr uint32_t kZip64EndOfCentralDir = 0x06064b50;
constexpr uint32_t kZip64Locator = 0x07064b50;
constexpr size_t kMaxEntries = size_t{1} << 22;

uint16_t rd16(const uint8_t* p) { return static_cast<uint16_t>(p[0] | (p[1] << 8)); }
uint32_t rd32(const uint8_t* p) { return uint32_t{rd16(p)} | (uint32_t{rd16(p + 2)} << 16); }
uint64_t rd64(const uint8_t* p) { return uint64_t{rd32(p)} | (uint64_t{rd32(p + 4)} << 32); }

#if !defined(FLUXGEN_WITH_ZLIB)
// Without zlib, stored entries (torch.save's default) are still CRC-checked, with the reflected
// CRC-32 polynomial 0xEDB88320 of zip and zlib.
std::array<uint32_t, 256> make_crc_table() {
  std::array<uint32_t, 256> t{};
  for (uint32_t i = 0; i < 256; ++i) {
    uint32_t c = i;
    for (int k = 0; k < 8; ++k) c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
    t[i] = c;
  }
  return t;
}
#endif

}  // namespace

uint32_t crc32_of(const uint8_t* data, size_t size) {
#if defined(FLUXGEN_WITH_ZLIB)
  // zlib's crc32 (slice-by-N tables or the CPU's carry-less multiply); crc32_z takes a 64-bit length.
  return static_cast<uint32_t>(crc32_z(crc32_z(0L, Z_NULL, 0), data, size));
#else
  static const std::array<uint32_t, 256> table = make_crc_table();
  uint32_t c = 0xFFFFFFFFu;
  for (size_t i = 0; i < size; ++i) c = table[(c ^ data[i]) & 0xFF] ^ (c >> 8);
  return c ^ 0xFFFFFFFFu;
#endif
}

bool looks_like_zip(const uint8_t* data, size_t size) {
  return size >= 4 && data[0] == 'P' && data[1] == 'K' &&
         ((data[2] == 3 && data[3] == 4) || (data[2] == 5 && data[3] == 6));
}

ZipArchive::ZipArchive(const uint8_t* data, size_t size, std::string what)
    : data_(data), size_(size), what_(std::move(what)) {
  // The end-of-central-directory record sits in the last 22 + 65535 (comment) bytes.
  size_t eocd = SIZE_MAX;
  if (size_ >= 22) {
    const size_t lowest = size_ - 22 > 65535 ? size_ - 22 - 65535 : 0;
    for (size_t pos = size_ - 22 + 1; pos-- > lowest;) {
      if (rd32(data_ + pos) == kEndOfCentralDir && pos + 22 + rd16(data_ + pos + 20) <= size_) {
        eocd = pos;
        break;
      }
    }
  }
  if (eocd == SIZE_MAX) {
    if (looks_like_zip(data_, size_))
      fail(what_, ": truncated zip archive: the end-of-central-directory record is missing (the file was cut short "
                  "while downloading or copying?)");
    fail(what_, ": not a zip archive");
  }
  uint64_t count = rd16(data_ + eocd + 10);
  uint64_t cd_size = rd32(data_ + eocd + 12);
  uint64_t cd_offset = rd32(data_ + eocd + 16);
  if (eocd >= 20 && rd32(data_ + eocd - 20) == kZip64Locator) {
    const uint64_t z64 = rd64(data_ + eocd - 20 + 8);
    check(z64 <= size_ && size_ - z64 >= 56 && rd32(data_ + z64) == kZip64EndOfCentralDir, what_,
          ": the zip64 end-of-central-directory record is missing or damaged (truncated file?)");
    count = rd64(data_ + z64 + 32);
    cd_size = rd64(data_ + z64 + 40);
    cd_offset = rd64(data_ + z64 + 48);
  } else {
    check(count != 0xFFFF && cd_size != 0xFFFFFFFFu && cd_offset != 0xFFFFFFFFu, what_,
          ": zip64 archive without its zip64 locator (damaged file)");
  }
  check(cd_offset <= size_ && cd_size <= size_ - cd_offset, what_, ": the central directory (", cd_size,
        " bytes at ", cd_offset, ") lies beyond the end of the file (truncated file?)");
  check(count <= cd_size / 46 && count <= kMaxEntries, what_, ": the central directory claims ", count,
        " entries, more than it can hold");
  entries_.reserve(static_cast<size_t>(count));
  const uint8_t* p = data_ + cd_offset;
  const uint8_t* end = p + cd_size;
  for (uint64_t i = 0; i < count; ++i) {
    check(end - p >= 46 && rd32(p) == kCentralHeader, what_, ": central directory entry ", i, " is damaged");
    ZipEntry e;
    e.flags = rd16(p + 8);
    e.method = rd16(p + 10);
    e.crc32 = rd32(p + 16);
    e.compressed_size = rd32(p + 20);
    e.size = rd32(p + 24);
    const size_t name_len = rd16(p + 28), extra_len = rd16(p + 30), comment_len = rd16(p + 32);
    e.local_header_offset = rd32(p + 42);
    check(static_cast<size_t>(end - p) - 46 >= name_len + extra_len + comment_len, what_, ": central directory entry ",
          i, " is damaged");
    e.name.assign(reinterpret_cast<const char*>(p + 46), name_len);
    // zip64 extended information: 8-byte values for the fields saturated at 0xFFFFFFFF, in order.
    const uint8_t* x = p + 46 + name_len;
    const uint8_t* x_end = x + extra_len;
    while (x_end - x >= 4) {
      const uint16_t id = rd16(x), len = rd16(x + 2);
      check(x_end - x - 4 >= len, what_, ": entry ", printable(e.name), " has a damaged extra field");
      if (id == 0x0001) {
        const uint8_t* v = x + 4;
        const uint8_t* v_end = v + len;
        auto take = [&](uint64_t& field) {
          if (field != 0xFFFFFFFFu) return;
          check(v_end - v >= 8, what_, ": entry ", printable(e.name), " has a short zip64 field");
          field = rd64(v);
          v += 8;
        };
        take(e.size);
        take(e.compressed_size);
        take(e.local_header_offset);
      }
      x += 4 + len;
    }
    p += 46 + name_len + extra_len + comment_len;
    auto [it, inserted] = by_name_.emplace(e.name, entries_.size());
    check(inserted, what_, ": duplicate zip entry ", printable(e.name));
    entries_.push_back(std::move(e));
  }
}

const ZipEntry* ZipArchive::find(std::string_view name) const {
  auto it = by_name_.find(name);
  return it == by_name_.end() ? nullptr : &entries_[it->second];
}

ZipPayload ZipArchive::read(const ZipEntry& e, bool verify_crc) const {
  const std::string name = printable(e.name);
  check(e.local_header_offset <= size_ && size_ - e.local_header_offset >= 30 &&
            rd32(data_ + e.local_header_offset) == kLocalHeader,
        what_, ": the local header of entry ", name, " is missing (truncated or damaged file)");
  const uint8_t* h = data_ + e.local_header_offset;
  const uint64_t start = e.local_header_offset + 30 + rd16(h + 26) + rd16(h + 28);
  check(start <= size_ && e.compressed_size <= size_ - start, what_, ": entry ", name, " (", e.compressed_size,
        " bytes) extends beyond the end of the file (truncated file)");
  check(!(e.flags & 1), what_, ": entry ", name, " is encrypted");
  ZipPayload out;
  if (e.method == 0) {
    check(e.compressed_size == e.size, what_, ": stored entry ", name, " has inconsistent sizes");
    out.data = data_ + start;
    out.size = static_cast<size_t>(e.size);
    if (verify_crc)
      check(crc32_of(out.data, out.size) == e.crc32, what_, ": entry ", name, " fails its CRC-32 check (damaged file)");
    return out;
  }
  check(e.method == 8, what_, ": entry ", name, " uses zip compression method ", e.method,
        " (only stored and deflated entries are supported)");
#if defined(FLUXGEN_WITH_ZLIB)
  // Deflate cannot expand data more than ~1032:1; a larger claim is a decompression bomb.
  check(e.size <= e.compressed_size * 1040 + 1024, what_, ": entry ", name, " claims ", e.size,
        " bytes from ", e.compressed_size, " compressed bytes (implausible)");
  auto buffer = std::make_shared<std::vector<uint8_t>>(static_cast<size_t>(e.size));
  z_stream zs{};
  check(inflateInit2(&zs, -MAX_WBITS) == Z_OK, what_, ": zlib initialisation failed");
  uint64_t in_left = e.compressed_size;
  const uint8_t* in = data_ + start;
  size_t produced = 0;
  int rc = Z_OK;
  // A stream longer than declared fills the buffer without ending and stops with Z_BUF_ERROR.
  while (rc == Z_OK) {
    const uInt in_chunk = static_cast<uInt>(std::min<uint64_t>(in_left, 1u << 30));
    zs.next_in = const_cast<Bytef*>(in);
    zs.avail_in = in_chunk;
    const size_t out_chunk = std::min<size_t>(buffer->size() - produced, size_t{1} << 30);
    zs.next_out = buffer->data() + produced;
    zs.avail_out = static_cast<uInt>(out_chunk);
    rc = inflate(&zs, Z_NO_FLUSH);
    const size_t used_in = in_chunk - zs.avail_in;
    const size_t used_out = out_chunk - zs.avail_out;
    in += used_in;
    in_left -= used_in;
    produced += used_out;
    if (rc == Z_OK && used_in == 0 && used_out == 0) rc = Z_BUF_ERROR;
  }
  inflateEnd(&zs);
  check(rc == Z_STREAM_END && produced == buffer->size(), what_, ": entry ", name,
        " does not inflate to its declared ", e.size, " bytes (damaged or truncated file)");
  check(crc32_of(buffer->data(), buffer->size()) == e.crc32, what_, ": entry ", name,
        " fails its CRC-32 check (damaged file)");
  out.data = buffer->data();
  out.size = buffer->size();
  out.owned = std::move(buffer);
  return out;
#else
  (void)verify_crc;
  fail(what_, ": entry ", name,
       " is deflate-compressed and this build of fluxgen has no zlib; rebuild with zlib or re-save the file "
       "with torch.save (which stores entries uncompressed)");
#endif
}

}  // namespace fluxgen::torch_pickle
