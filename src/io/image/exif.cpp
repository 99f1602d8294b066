#include "io/image/exif.h"

#include <cstdint>

#include "util/utf8.h"

namespace fluxgen {

namespace {

class TiffReader {
 public:
  explicit TiffReader(std::string_view data) : d_(data) {}
  bool init() {
    if (d_.size() < 8) return false;
    if (d_.substr(0, 2) == "MM") {
      big_ = true;
    } else if (d_.substr(0, 2) == "II") {
      big_ = false;
    } else {
      return false;
    }
    return u16(2) == 42;
  }
  bool big_endian() const { return big_; }
  bool in_bounds(uint64_t offset, uint64_t size) const { return offset <= d_.size() && size <= d_.size() - offset; }
  uint32_t u16(uint64_t at) const {
    if (!in_bounds(at, 2)) return 0;
    const auto b0 = static_cast<uint8_t>(d_[at]), b1 = static_cast<uint8_t>(d_[at + 1]);
    return big_ ? (b0 << 8) | b1 : (b1 << 8) | b0;
  }
  uint32_t u32(uint64_t at) const {
    if (!in_bounds(at, 4)) return 0;
    const uint32_t a = u16(at), b = u16(at + 2);
    return big_ ? (a << 16) | b : (b << 16) | a;
  }
  // The 12-byte entry for `tag` in the IFD at `ifd`, or 0.
  uint64_t find_entry(uint64_t ifd, uint32_t tag) const {
    if (!in_bounds(ifd, 2)) return 0;
    const uint32_t count = u16(ifd);
    if (!in_bounds(ifd + 2, uint64_t(count) * 12)) return 0;
    for (uint32_t i = 0; i < count; ++i) {
      const uint64_t e = ifd + 2 + uint64_t(i) * 12;
      if (u16(e) == tag) return e;
    }
    return 0;
  }
  std::string_view bytes(uint64_t at, uint64_t size) const { return d_.substr(at, size); }

 private:
  std::string_view d_;
  bool big_ = true;
};

std::string without_nuls(std::string s) {
  std::string out;
  for (char c : s)
    if (c != '\0') out += c;
  return out;
}

}  // namespace

std::optional<std::string> exif_user_comment(std::string_view tiff) {
  if (tiff.substr(0, 6) == std::string_view("Exif\0\0", 6)) tiff.remove_prefix(6);
  TiffReader r(tiff);
  if (!r.init()) return std::nullopt;
  const uint64_t ifd0 = r.u32(4);
  const uint64_t exif_ptr = r.find_entry(ifd0, 0x8769);
  if (!exif_ptr) return std::nullopt;
  const uint64_t exif_ifd = r.u32(exif_ptr + 8);
  const uint64_t entry = r.find_entry(exif_ifd, 0x9286);
  if (!entry) return std::nullopt;
  const uint32_t type = r.u16(entry + 2);
  const uint64_t count = r.u32(entry + 4);
  if (type != 7 && type != 1 && type != 2) return std::nullopt;  // UNDEFINED (BYTE/ASCII from lax writers)
  const uint64_t offset = count <= 4 ? entry + 8 : r.u32(entry + 8);
  if (!r.in_bounds(offset, count)) return std::nullopt;
  const std::string_view field = r.bytes(offset, count);
  if (field.size() >= 8 && field.substr(0, 8) == std::string_view("UNICODE\0", 8)) {
    std::string_view body = field.substr(8);
    bool big = r.big_endian();
    if (body.size() >= 2 && static_cast<uint8_t>(body[0]) == 0xFE && static_cast<uint8_t>(body[1]) == 0xFF) {
      big = true, body.remove_prefix(2);
    } else if (body.size() >= 2 && static_cast<uint8_t>(body[0]) == 0xFF && static_cast<uint8_t>(body[1]) == 0xFE) {
      big = false, body.remove_prefix(2);
    }
    return utf16_to_utf8(body, big);
  }
  if (field.size() >= 8 && field.substr(0, 8) == std::string_view("ASCII\0\0\0", 8)) {
    std::string out;
    for (char c : field.substr(8)) {
      if (static_cast<unsigned char>(c) < 0x80) {
        out += c;
      } else {
        append_utf8(out, 0xFFFD);
      }
    }
    return out;
  }
  return without_nuls(utf8_replace_invalid(field));
}

}  // namespace fluxgen
