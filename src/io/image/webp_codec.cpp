#include "io/image/webp_codec.h"

#include <cstring>

#include "util/error.h"

#if defined(FLUXGEN_WITH_WEBP)
#include <webp/decode.h>
#endif

namespace fluxgen {

bool webp_decoding_available() {
#if defined(FLUXGEN_WITH_WEBP)
  return true;
#else
  return false;
#endif
}

namespace {

uint32_t le32(const uint8_t* p) { return p[0] | (p[1] << 8) | (p[2] << 16) | (uint32_t(p[3]) << 24); }

// The EXIF chunk of a RIFF/WEBP container: chunks are a FourCC, a little-endian size and the data
// padded to an even length. Pillow writes the TIFF bytes alone; some tools keep "Exif\0\0" in front.
std::string find_exif_chunk(std::span<const uint8_t> bytes) {
  if (bytes.size() < 12) return {};
  const size_t riff_end = std::min<size_t>(bytes.size(), size_t(le32(bytes.data() + 4)) + 8);
  size_t pos = 12;
  while (pos + 8 <= riff_end) {
    const uint8_t* chunk = bytes.data() + pos;
    const size_t size = le32(chunk + 4);
    if (size > riff_end - pos - 8) break;  // truncated chunk: no EXIF to trust
    if (std::memcmp(chunk, "EXIF", 4) == 0) {
      std::string exif(reinterpret_cast<const char*>(chunk + 8), size);
      if (exif.compare(0, 6, std::string("Exif\0\0", 6)) == 0) exif.erase(0, 6);
      return exif;
    }
    pos += 8 + size + (size & 1);
  }
  return {};
}

}  // namespace

DecodedImage decode_webp(std::span<const uint8_t> bytes, std::string_view what) {
  check(bytes.size() >= 12 && std::memcmp(bytes.data(), "RIFF", 4) == 0 && std::memcmp(bytes.data() + 8, "WEBP", 4) == 0,
        what, ": not a WebP file");
#if defined(FLUXGEN_WITH_WEBP)
  WebPBitstreamFeatures features;
  const VP8StatusCode status = WebPGetFeatures(bytes.data(), bytes.size(), &features);
  check(status == VP8_STATUS_OK, what, ": corrupt WebP (", status == VP8_STATUS_NOT_ENOUGH_DATA ? "truncated" : "bad header",
        ")");
  check(!features.has_animation, what, ": animated WebP is not supported");
  check_image_size(features.width, features.height, what);
  DecodedImage out;
  out.format = ImageFormat::WebP;
  const int channels = features.has_alpha ? 4 : 3;
  out.image = Image(features.width, features.height, channels);
  const int stride = static_cast<int>(out.image.row_bytes());
  const uint8_t* ok =
      channels == 4 ? WebPDecodeRGBAInto(bytes.data(), bytes.size(), out.image.pixels.data(), out.image.pixels.size(), stride)
                    : WebPDecodeRGBInto(bytes.data(), bytes.size(), out.image.pixels.data(), out.image.pixels.size(), stride);
  check(ok != nullptr, what, ": corrupt or truncated WebP image data");
  out.metadata.exif = find_exif_chunk(bytes);
  return out;
#else
  (void)find_exif_chunk;
  fail(what, ": cannot decode WebP: fluxgen was built without libwebp (install libwebp-dev and rebuild)");
#endif
}

}  // namespace fluxgen
