#include "io/image/png_codec.h"

#include <cctype>
#include <csetjmp>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "util/error.h"
#include "util/utf8.h"

#if defined(FLUXGEN_WITH_PNG)
#include <png.h>
#endif
#if defined(FLUXGEN_WITH_ZLIB)
#include <zlib.h>
#endif

namespace fluxgen {

bool png_decoding_available() {
#if defined(FLUXGEN_WITH_PNG)
  return true;
#else
  return false;
#endif
}

bool png_encoding_available() {
#if defined(FLUXGEN_WITH_ZLIB)
  return true;
#else
  return false;
#endif
}

// ---------------------------------------------------------------------------------------------
// Decoding (libpng)

#if defined(FLUXGEN_WITH_PNG)
namespace {

// libpng reports errors by calling our error function, which must not return: it records the
// message and longjmps back to the setjmp in the step that made the call. The steps below hold no
// object with a destructor, so the jump skips nothing; the caller owns every C++ object.
struct PngSource {
  const uint8_t* data;
  size_t size;
  size_t pos;
  char error[256];
};

void png_source_read(png_structp png, png_bytep out, png_size_t n) {
  auto* src = static_cast<PngSource*>(png_get_io_ptr(png));
  if (n > src->size - src->pos) png_error(png, "the file is truncated");
  std::memcpy(out, src->data + src->pos, n);
  src->pos += n;
}

void png_on_error(png_structp png, png_const_charp message) {
  auto* src = static_cast<PngSource*>(png_get_error_ptr(png));
  std::snprintf(src->error, sizeof src->error, "%s", message);
  png_longjmp(png, 1);
}

void png_on_warning(png_structp, png_const_charp) {}  // ancillary damage is not worth a message

struct PngReader {
  png_structp png = nullptr;
  png_infop info = nullptr;
  png_infop end_info = nullptr;
  ~PngReader() {
    if (png) png_destroy_read_struct(&png, info ? &info : nullptr, end_info ? &end_info : nullptr);
  }
};

struct PngHeader {
  png_uint_32 width, height;
  int channels;  // after the transformations: 3 (RGB) or 4 (RGBA)
  size_t row_bytes;
};

// Reads up to the image data and sets up the transformations to 8-bit RGB or RGBA.
bool png_read_header(PngReader& r, PngSource& src, PngHeader& h) {
  if (setjmp(png_jmpbuf(r.png))) return false;
  png_set_read_fn(r.png, &src, png_source_read);
  // Text chunks may legitimately be large (long prompts) but not absurd.
  png_set_chunk_malloc_max(r.png, 16u << 20);
  png_read_info(r.png, r.info);
  int bit_depth, color_type, interlace;
  png_get_IHDR(r.png, r.info, &h.width, &h.height, &bit_depth, &color_type, &interlace, nullptr, nullptr);
  if (h.width > static_cast<png_uint_32>(kMaxImageSide) || h.height > static_cast<png_uint_32>(kMaxImageSide))
    return true;  // the caller reports the size; nothing else is read
  // 16-bit samples keep their high byte, as Pillow does for 16-bit RGB(A) files.
  if (bit_depth == 16) png_set_strip_16(r.png);
  if (color_type == PNG_COLOR_TYPE_PALETTE) png_set_palette_to_rgb(r.png);
  if (color_type == PNG_COLOR_TYPE_GRAY && bit_depth < 8) png_set_expand_gray_1_2_4_to_8(r.png);
  if (png_get_valid(r.png, r.info, PNG_INFO_tRNS)) png_set_tRNS_to_alpha(r.png);
  if (color_type == PNG_COLOR_TYPE_GRAY || color_type == PNG_COLOR_TYPE_GRAY_ALPHA) png_set_gray_to_rgb(r.png);
  png_set_interlace_handling(r.png);
  png_read_update_info(r.png, r.info);
  h.channels = png_get_channels(r.png, r.info);
  h.row_bytes = png_get_rowbytes(r.png, r.info);
  return true;
}

bool png_read_pixels(PngReader& r, png_bytepp rows) {
  if (setjmp(png_jmpbuf(r.png))) return false;
  png_read_image(r.png, rows);
  png_read_end(r.png, r.end_info);
  return true;
}

void collect_text(const PngReader& r, png_infop info, ImageMetadata& meta) {
  png_textp text = nullptr;
  int count = 0;
  png_get_text(r.png, info, &text, &count);
  for (int i = 0; i < count; ++i) {
    const std::string key = latin1_to_utf8(text[i].key ? text[i].key : "");
    // tEXt/zTXt are Latin-1; iTXt (compression >= 1) is UTF-8, which we keep but clean.
    const bool itxt = text[i].compression >= PNG_ITXT_COMPRESSION_NONE;
    const std::string_view raw(text[i].text ? text[i].text : "", itxt ? text[i].itxt_length : text[i].text_length);
    meta.text.emplace_back(key, itxt ? utf8_replace_invalid(raw) : latin1_to_utf8(raw));
  }
}

uint32_t be32(std::span<const uint8_t> b, size_t at) {
  return (uint32_t(b[at]) << 24) | (uint32_t(b[at + 1]) << 16) | (uint32_t(b[at + 2]) << 8) | b[at + 3];
}

// Walks the chunk list before libpng sees it: the size IHDR declares is checked before anything is
// allocated, and a chunk whose length runs past the end of the data (a damaged length field or a
// truncated file) is refused here, because libpng would first allocate and clear a buffer of the
// declared size (up to 2 GiB) for it.
void check_png_structure(std::span<const uint8_t> bytes, std::string_view what) {
  check(bytes.size() >= 33 && std::memcmp(bytes.data() + 12, "IHDR", 4) == 0 && be32(bytes, 8) == 13, what,
        ": corrupt PNG: no IHDR chunk at the start (truncated?)");
  check_image_size(be32(bytes, 16), be32(bytes, 20), what);
  for (size_t pos = 8; pos + 8 <= bytes.size();) {
    const uint32_t length = be32(bytes, pos);
    std::string type(reinterpret_cast<const char*>(bytes.data() + pos + 4), 4);
    for (char& c : type)
      if (!std::isalpha(static_cast<unsigned char>(c))) c = '?';  // damaged names stay printable
    if (length > bytes.size() - pos - 8 || bytes.size() - pos - 8 - length < 4) {
      fail(what, ": corrupt PNG: chunk '", type, "' of ", length, " bytes runs past the end of the file (",
           bytes.size(), " bytes; truncated?)");
    }
    if (type == "IEND") return;
    pos += 12 + size_t(length);
  }
  fail(what, ": corrupt PNG: the file is truncated (no IEND chunk)");
}

}  // namespace
#endif

DecodedImage decode_png(std::span<const uint8_t> bytes, std::string_view what) {
#if defined(FLUXGEN_WITH_PNG)
  check(bytes.size() >= 8 && png_sig_cmp(bytes.data(), 0, 8) == 0, what, ": not a PNG file");
  check_png_structure(bytes, what);
  PngSource src{bytes.data(), bytes.size(), 0, {0}};
  PngReader r;
  r.png = png_create_read_struct(PNG_LIBPNG_VER_STRING, &src, png_on_error, png_on_warning);
  check(r.png != nullptr, what, ": cannot initialise libpng");
  r.info = png_create_info_struct(r.png);
  r.end_info = png_create_info_struct(r.png);
  check(r.info && r.end_info, what, ": cannot initialise libpng");

  PngHeader h{};
  if (!png_read_header(r, src, h)) fail(what, ": corrupt PNG: ", src.error);
  check_image_size(h.width, h.height, what);
  check((h.channels == 3 || h.channels == 4) && h.row_bytes == size_t(h.width) * h.channels, what,
        ": unsupported PNG pixel layout (", h.channels, " channels, ", h.row_bytes, " bytes per row)");

  DecodedImage out;
  out.format = ImageFormat::PNG;
  out.image = Image(static_cast<int>(h.width), static_cast<int>(h.height), h.channels);
  std::vector<png_bytep> rows(h.height);
  for (png_uint_32 y = 0; y < h.height; ++y) rows[y] = out.image.pixels.data() + y * h.row_bytes;
  if (!png_read_pixels(r, rows.data())) fail(what, ": corrupt PNG: ", src.error);

  collect_text(r, r.info, out.metadata);
  collect_text(r, r.end_info, out.metadata);
#if defined(PNG_eXIf_SUPPORTED)
  png_bytep exif = nullptr;
  png_uint_32 exif_size = 0;
  if (png_get_eXIf_1(r.png, r.info, &exif_size, &exif) && exif)
    out.metadata.exif.assign(reinterpret_cast<const char*>(exif), exif_size);
#endif
  return out;
#else
  (void)bytes;
  fail(what, ": cannot decode PNG: fluxgen was built without libpng (install libpng-dev and rebuild)");
#endif
}

// ---------------------------------------------------------------------------------------------
// Encoding (zlib)

#if defined(FLUXGEN_WITH_ZLIB)
namespace {

void put_u32(std::string& out, uint32_t v) {
  const char b[4] = {char(v >> 24), char(v >> 16), char(v >> 8), char(v)};
  out.append(b, 4);
}

void put_chunk(std::string& out, const char type[4], std::string_view data) {
  check(data.size() <= 0x7FFFFFFFu, "PNG chunk too large");
  put_u32(out, static_cast<uint32_t>(data.size()));
  const size_t type_at = out.size();
  out.append(type, 4);
  out.append(data);
  const auto* crc_from = reinterpret_cast<const Bytef*>(out.data() + type_at);
  put_u32(out, static_cast<uint32_t>(crc32(0, crc_from, static_cast<uInt>(out.size() - type_at))));
}

// tEXt for Latin-1 text, iTXt (uncompressed, no language tag) otherwise: Pillow's add_text.
std::string text_chunk_data(const std::string& key, const std::string& value, bool* itxt) {
  const auto latin_key = utf8_to_latin1(key);
  check(latin_key && !latin_key->empty() && latin_key->size() <= 79, "PNG text key '", key,
        "' must be 1-79 Latin-1 characters");
  check(latin_key->find('\0') == std::string::npos, "PNG text key must not contain NUL");
  check(is_valid_utf8(value), "PNG text '", key, "' is not valid UTF-8");
  check(value.find('\0') == std::string::npos, "PNG text '", key, "' must not contain NUL characters");
  std::string data = *latin_key;
  data += '\0';
  if (const auto latin = utf8_to_latin1(value)) {
    *itxt = false;
    data += *latin;
  } else {
    *itxt = true;
    data.append("\0\0\0\0", 4);  // compression flag, method, empty language tag, empty translated key
    data += value;
  }
  return data;
}

// The PNG filter (0-4) of one row that minimises the sum of |filtered byte| as signed values, the
// heuristic the PNG specification suggests (and Pillow and libpng use).
void filter_row(const uint8_t* row, const uint8_t* prev, size_t n, int bpp, std::vector<uint8_t>& scratch,
                std::string& out) {
  scratch.resize(5 * n);
  uint64_t best_cost = UINT64_MAX;
  int best = 0;
  for (int f = 0; f < 5; ++f) {
    uint8_t* dst = scratch.data() + f * n;
    uint64_t cost = 0;
    for (size_t i = 0; i < n; ++i) {
      const int a = i >= size_t(bpp) ? row[i - bpp] : 0;
      const int b = prev ? prev[i] : 0;
      const int c = (prev && i >= size_t(bpp)) ? prev[i - bpp] : 0;
      int pred = 0;
      switch (f) {
        case 1: pred = a; break;
        case 2: pred = b; break;
        case 3: pred = (a + b) / 2; break;
        case 4: {
          const int p = a + b - c, pa = std::abs(p - a), pb = std::abs(p - b), pc = std::abs(p - c);
          pred = (pa <= pb && pa <= pc) ? a : (pb <= pc ? b : c);
          break;
        }
        default: break;
      }
      dst[i] = static_cast<uint8_t>(row[i] - pred);
      cost += static_cast<uint64_t>(std::abs(static_cast<int8_t>(dst[i])));
    }
    if (cost < best_cost) best_cost = cost, best = f;
  }
  out += static_cast<char>(best);
  out.append(reinterpret_cast<const char*>(scratch.data() + best * n), n);
}

}  // namespace
#endif

std::string encode_png(const Image& image, const std::vector<std::pair<std::string, std::string>>& text) {
#if defined(FLUXGEN_WITH_ZLIB)
  check(!image.empty() && (image.channels == 1 || image.channels == 3 || image.channels == 4),
        "encode_png: expected a non-empty gray, RGB or RGBA image");
  check_image_size(image.width, image.height, "encode_png");
  std::string png("\x89PNG\r\n\x1a\n", 8);
  std::string ihdr;
  put_u32(ihdr, static_cast<uint32_t>(image.width));
  put_u32(ihdr, static_cast<uint32_t>(image.height));
  const char color_type = image.channels == 1 ? 0 : image.channels == 3 ? 2 : 6;
  ihdr += '\x08';        // bit depth
  ihdr += color_type;
  ihdr.append("\0\0\0", 3);  // deflate, adaptive filtering, no interlace
  put_chunk(png, "IHDR", ihdr);
  for (const auto& [key, value] : text) {
    bool itxt = false;
    const std::string data = text_chunk_data(key, value, &itxt);
    put_chunk(png, itxt ? "iTXt" : "tEXt", data);
  }

  // Filter and deflate row by row; IDAT chunks of up to 256 KiB as they fill.
  z_stream zs{};
  check(deflateInit(&zs, Z_DEFAULT_COMPRESSION) == Z_OK, "encode_png: cannot initialise zlib");
  std::string idat(size_t(1) << 18, '\0');
  zs.next_out = reinterpret_cast<Bytef*>(idat.data());
  zs.avail_out = static_cast<uInt>(idat.size());
  const auto flush_idat = [&]() {
    put_chunk(png, "IDAT", std::string_view(idat.data(), idat.size() - zs.avail_out));
    zs.next_out = reinterpret_cast<Bytef*>(idat.data());
    zs.avail_out = static_cast<uInt>(idat.size());
  };
  const size_t stride = image.row_bytes();
  std::vector<uint8_t> scratch;
  std::string filtered;
  for (int y = 0; y <= image.height; ++y) {
    const bool last = y == image.height;
    filtered.clear();
    if (!last) {
      const uint8_t* row = image.pixels.data() + y * stride;
      filter_row(row, y > 0 ? row - stride : nullptr, stride, image.channels, scratch, filtered);
    }
    zs.next_in = reinterpret_cast<Bytef*>(filtered.data());
    zs.avail_in = static_cast<uInt>(filtered.size());
    while (true) {
      const int rc = deflate(&zs, last ? Z_FINISH : Z_NO_FLUSH);
      if (rc == Z_STREAM_ERROR) {
        deflateEnd(&zs);
        fail("encode_png: zlib error");
      }
      if (zs.avail_out == 0) flush_idat();
      if (last ? rc == Z_STREAM_END : zs.avail_in == 0) break;
    }
  }
  if (zs.avail_out < idat.size()) flush_idat();
  deflateEnd(&zs);
  put_chunk(png, "IEND", {});
  return png;
#else
  (void)image;
  (void)text;
  fail("cannot write PNG: fluxgen was built without zlib (install zlib1g-dev and rebuild)");
#endif
}

}  // namespace fluxgen
