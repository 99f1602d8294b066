#include "io/gzip_file.h"

#include "io/mapped_file.h"
#include "util/error.h"

#ifdef FLUXGEN_WITH_ZLIB
#include <zlib.h>
#endif

namespace fluxgen {

#ifdef FLUXGEN_WITH_ZLIB
std::string read_gzip_file(const std::string& path, size_t max_bytes) {
  const std::string packed = read_text_file(path);
  z_stream z{};
  // 16 + MAX_WBITS: expect a gzip header and trailer (not a raw zlib stream).
  if (inflateInit2(&z, 16 + MAX_WBITS) != Z_OK) fail(path, ": cannot initialise zlib");
  std::string out;
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(packed.data()));
  z.avail_in = static_cast<uInt>(packed.size());
  int rc = Z_OK;
  char buf[1 << 16];
  while (rc != Z_STREAM_END) {
    z.next_out = reinterpret_cast<Bytef*>(buf);
    z.avail_out = sizeof(buf);
    rc = inflate(&z, Z_NO_FLUSH);
    if (rc != Z_OK && rc != Z_STREAM_END) {
      const std::string why = z.msg ? z.msg : (rc == Z_BUF_ERROR ? "unexpected end of file" : "corrupt data");
      inflateEnd(&z);
      fail(path, ": not a valid gzip file (", why, ")");
    }
    out.append(buf, sizeof(buf) - z.avail_out);
    if (out.size() > max_bytes) {
      inflateEnd(&z);
      fail(path, ": decompresses to more than ", max_bytes, " bytes; refusing");
    }
  }
  inflateEnd(&z);
  return out;
}
#else
std::string read_gzip_file(const std::string& path, size_t) {
  fail(path, ": this fluxgen was built without zlib and cannot read .gz files");
}
#endif

}  // namespace fluxgen
