// Test helpers that write torch checkpoints byte by byte: a pickle opcode writer and a zip writer
// (stored entries, optionally with zip64 records), so tests can build well-formed, malformed and
// hostile files without Python.
#pragma once
#include <cstdint>
#include <cstring>
#include <string>
#include <utility>
#include <vector>

#include "io/torch_pickle/zip_archive.h"

namespace fluxgen::test {

class PickleWriter {
 public:
  PickleWriter& proto(int v) { return op(0x80).byte(v); }
  PickleWriter& op(uint8_t code) { return byte(code); }
  PickleWriter& byte(int v) {
    out_ += static_cast<char>(v);
    return *this;
  }
  PickleWriter& raw(const std::string& s) {
    out_ += s;
    return *this;
  }
  PickleWriter& u32(uint32_t v) {
    for (int i = 0; i < 4; ++i) byte((v >> (8 * i)) & 0xff);
    return *this;
  }
  PickleWriter& u64(uint64_t v) {
    for (int i = 0; i < 8; ++i) byte(static_cast<int>((v >> (8 * i)) & 0xff));
    return *this;
  }
  // BINUNICODE, or SHORT_BINUNICODE when `short_form`.
  PickleWriter& str(const std::string& s, bool short_form = false) {
    if (short_form) return op(0x8c).byte(static_cast<int>(s.size())).raw(s);
    return op('X').u32(static_cast<uint32_t>(s.size())).raw(s);
  }
  PickleWriter& integer(int64_t v) {
    if (v >= 0 && v < 256) return op('K').byte(static_cast<int>(v));
    if (v >= 0 && v < 65536) return op('M').byte(v & 0xff).byte((v >> 8) & 0xff);
    return op('J').u32(static_cast<uint32_t>(v));
  }
  PickleWriter& global(const std::string& module, const std::string& name) {
    return op('c').raw(module + "\n" + name + "\n");
  }
  PickleWriter& ints(const std::vector<int64_t>& values) {
    mark();
    for (int64_t v : values) integer(v);
    return op('t');
  }
  PickleWriter& mark() { return op('('); }
  // ('storage', torch.<type>, key, 'cpu', numel) as a persistent id.
  PickleWriter& storage(const std::string& type, const std::string& key, int64_t numel) {
    mark().str("storage").global("torch", type).str(key).str("cpu").integer(numel).op('t');
    return op('Q');
  }
  // torch._utils._rebuild_tensor_v2(storage, offset, size, stride, False, OrderedDict())
  PickleWriter& tensor(const std::string& type, const std::string& key, int64_t numel, int64_t offset,
                       const std::vector<int64_t>& size, const std::vector<int64_t>& stride) {
    global("torch._utils", "_rebuild_tensor_v2").mark();
    storage(type, key, numel).integer(offset).ints(size).ints(stride).op(0x89);
    global("collections", "OrderedDict").op(')').op('R');
    return op('t').op('R');
  }
  PickleWriter& stop() { return op('.'); }
  const std::string& bytes() const { return out_; }

 private:
  std::string out_;
};

namespace builders_detail {

inline void put16(std::string& s, uint32_t v) {
  s += static_cast<char>(v & 0xff);
  s += static_cast<char>((v >> 8) & 0xff);
}
inline void put32(std::string& s, uint32_t v) {
  put16(s, v & 0xffff);
  put16(s, v >> 16);
}
inline void put64(std::string& s, uint64_t v) {
  put32(s, static_cast<uint32_t>(v));
  put32(s, static_cast<uint32_t>(v >> 32));
}

}  // namespace builders_detail

// A zip archive of stored entries, as torch.save writes them.
inline std::string make_zip(const std::vector<std::pair<std::string, std::string>>& files, bool zip64 = false) {
  std::string out, central;
  for (const auto& [name, data] : files) {
    const uint32_t crc = torch_pickle::crc32_of(reinterpret_cast<const uint8_t*>(data.data()), data.size());
    const uint64_t offset = out.size();
    builders_detail::put32(out, 0x04034b50);
    builders_detail::put16(out, 20);
    builders_detail::put16(out, 0);  // flags
    builders_detail::put16(out, 0);  // stored
    builders_detail::put32(out, 0);  // time, date
    builders_detail::put32(out, crc);
    builders_detail::put32(out, static_cast<uint32_t>(data.size()));
    builders_detail::put32(out, static_cast<uint32_t>(data.size()));
    builders_detail::put16(out, static_cast<uint32_t>(name.size()));
    builders_detail::put16(out, 0);
    out += name;
    out += data;

    builders_detail::put32(central, 0x02014b50);
    builders_detail::put16(central, 45);
    builders_detail::put16(central, 45);
    builders_detail::put16(central, 0);
    builders_detail::put16(central, 0);
    builders_detail::put32(central, 0);
    builders_detail::put32(central, crc);
    const uint32_t sat = 0xFFFFFFFFu;
    builders_detail::put32(central, zip64 ? sat : static_cast<uint32_t>(data.size()));
    builders_detail::put32(central, zip64 ? sat : static_cast<uint32_t>(data.size()));
    builders_detail::put16(central, static_cast<uint32_t>(name.size()));
    builders_detail::put16(central, zip64 ? 28 : 0);  // extra length
    builders_detail::put16(central, 0);               // comment
    builders_detail::put16(central, 0);
    builders_detail::put16(central, 0);
    builders_detail::put32(central, 0);
    builders_detail::put32(central, zip64 ? sat : static_cast<uint32_t>(offset));
    central += name;
    if (zip64) {
      builders_detail::put16(central, 0x0001);
      builders_detail::put16(central, 24);
      builders_detail::put64(central, data.size());
      builders_detail::put64(central, data.size());
      builders_detail::put64(central, offset);
    }
  }
  const uint64_t cd_offset = out.size();
  out += central;
  if (zip64) {
    const uint64_t z64 = out.size();
    builders_detail::put32(out, 0x06064b50);
    builders_detail::put64(out, 44);
    builders_detail::put16(out, 45);
    builders_detail::put16(out, 45);
    builders_detail::put32(out, 0);
    builders_detail::put32(out, 0);
    builders_detail::put64(out, files.size());
    builders_detail::put64(out, files.size());
    builders_detail::put64(out, central.size());
    builders_detail::put64(out, cd_offset);
    builders_detail::put32(out, 0x07064b50);
    builders_detail::put32(out, 0);
    builders_detail::put64(out, z64);
    builders_detail::put32(out, 1);
  }
  builders_detail::put32(out, 0x06054b50);
  builders_detail::put16(out, 0);
  builders_detail::put16(out, 0);
  builders_detail::put16(out, zip64 ? 0xFFFF : static_cast<uint32_t>(files.size()));
  builders_detail::put16(out, zip64 ? 0xFFFF : static_cast<uint32_t>(files.size()));
  builders_detail::put32(out, zip64 ? 0xFFFFFFFFu : static_cast<uint32_t>(central.size()));
  builders_detail::put32(out, zip64 ? 0xFFFFFFFFu : static_cast<uint32_t>(cd_offset));
  builders_detail::put16(out, 0);
  return out;
}

// A torch.save zip checkpoint: archive/data.pkl, archive/data/<key> for each storage, byteorder.
inline std::string make_torch_zip(const std::string& pickle,
                                  const std::vector<std::pair<std::string, std::string>>& storages,
                                  const std::string& byteorder = "little", bool zip64 = false) {
  std::vector<std::pair<std::string, std::string>> files = {{"archive/data.pkl", pickle},
                                                            {"archive/byteorder", byteorder}};
  for (const auto& [key, data] : storages) files.emplace_back("archive/data/" + key, data);
  files.emplace_back("archive/version", "3\n");
  return make_zip(files, zip64);
}

// Little-endian bytes of float values.
inline std::string f32_bytes(const std::vector<float>& values) {
  std::string out(values.size() * 4, '\0');
  std::memcpy(out.data(), values.data(), out.size());
  return out;
}

}  // namespace fluxgen::test
