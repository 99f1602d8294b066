#include "io/image/png_codec.h"

#include <cctype>
#include <csetjmp>
#include <cstdio>
#include <cstring>

#include "util/error.h"
#include "util/utf8.h"

#if defined(FLUXGEN_WITH_PNG)
#include <png.h>
#include <zlib.h>  // libpng needs zlib; its strategy constant
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
#if defined(FLUXGEN_WITH_PNG)
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
// Encoding (libpng)

#if defined(FLUXGEN_WITH_PNG)
namespace {

// libpng's write path rewrites some keys (trims or collapses spaces, replaces unprintable
// characters) with only a warning; such a key is refused here instead, so that the key written is
// the key given. The value is validated as before.
std::string latin1_key(const std::string& key) {
  const auto latin = utf8_to_latin1(key);
  check(latin && !latin->empty() && latin->size() <= 79, "PNG text key '", key, "' must be 1-79 Latin-1 characters");
  for (size_t i = 0; i < latin->size(); ++i) {
    const auto c = static_cast<unsigned char>((*latin)[i]);
    check((c >= 32 && c <= 126) || c >= 161, "PNG text key '", key, "' must hold printable characters only");
    check(c != ' ' || (i > 0 && i + 1 < latin->size() && (*latin)[i + 1] != ' '), "PNG text key '", key,
          "' must not start or end with a space or hold two in a row");
  }
  return *latin;
}

// tEXt for Latin-1 text, iTXt (uncompressed, no language tag) otherwise: Pillow's add_text.
struct PngText {
  std::string key;    // Latin-1
  std::string value;  // Latin-1 (tEXt) or UTF-8 (iTXt)
  bool itxt = false;
};

PngText text_for_png(const std::string& key, const std::string& value) {
  PngText t;
  t.key = latin1_key(key);
  check(is_valid_utf8(value), "PNG text '", key, "' is not valid UTF-8");
  check(value.find('\0') == std::string::npos, "PNG text '", key, "' must not contain NUL characters");
  if (auto latin = utf8_to_latin1(value)) {
    t.value = std::move(*latin);
  } else {
    t.itxt = true;
    t.value = value;
  }
  return t;
}

// The PNG bytes as libpng writes them; `failed` is set when appending runs out of memory, since
// the write callback must neither throw through libpng nor longjmp out of a catch handler.
struct PngSink {
  std::string bytes;
  bool failed = false;
  char error[256];
};

void png_sink_write(png_structp png, png_bytep data, png_size_t n) {
  auto* sink = static_cast<PngSink*>(png_get_io_ptr(png));
  if (sink->failed) return;
  try {
    sink->bytes.append(reinterpret_cast<const char*>(data), n);
  } catch (...) {
    sink->failed = true;
  }
}

void png_sink_flush(png_structp) {}

void png_on_write_error(png_structp png, png_const_charp message) {
  auto* sink = static_cast<PngSink*>(png_get_error_ptr(png));
  std::snprintf(sink->error, sizeof sink->error, "%s", message);
  png_longjmp(png, 1);
}

struct PngWriter {
  png_structp png = nullptr;
  png_infop info = nullptr;
  ~PngWriter() {
    if (png) png_destroy_write_struct(&png, info ? &info : nullptr);
  }
};

// Everything libpng does for one image, behind one setjmp: no object with a destructor lives in
// this frame, so a longjmp back here skips nothing (the caller owns the rows, texts and sink).
bool png_write_all(PngWriter& w, PngSink& sink, const Image& image, png_textp texts, int text_count,
                   png_bytepp rows) {
  if (setjmp(png_jmpbuf(w.png))) return false;
  png_set_write_fn(w.png, &sink, png_sink_write, png_sink_flush);
  // IDAT chunks of up to 256 KiB; libpng's adaptive per-row filter choice at zlib's default level.
  // zlib's default strategy, as Pillow uses: libpng's own default for filtered rows (Z_FILTERED)
  // made a 1024x1024 image ~10% smaller but its encoding ~50% slower.
  png_set_compression_buffer_size(w.png, png_size_t{1} << 18);
  png_set_compression_strategy(w.png, Z_DEFAULT_STRATEGY);
  const int color_type = image.channels == 1 ? PNG_COLOR_TYPE_GRAY
                         : image.channels == 3 ? PNG_COLOR_TYPE_RGB
                                               : PNG_COLOR_TYPE_RGBA;
  png_set_IHDR(w.png, w.info, static_cast<png_uint_32>(image.width), static_cast<png_uint_32>(image.height), 8,
               color_type, PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
  if (text_count > 0) png_set_text(w.png, w.info, texts, text_count);
  png_set_rows(w.png, w.info, rows);
  png_write_png(w.png, w.info, PNG_TRANSFORM_IDENTITY, nullptr);
  return true;
}

}  // namespace
#endif

std::string encode_png(const Image& image, const std::vector<std::pair<std::string, std::string>>& text) {
#if defined(FLUXGEN_WITH_PNG)
  check(!image.empty() && (image.channels == 1 || image.channels == 3 || image.channels == 4),
        "encode_png: expected a non-empty gray, RGB or RGBA image");
  check_image_size(image.width, image.height, "encode_png");
  std::vector<PngText> texts;
  for (const auto& [key, value] : text) texts.push_back(text_for_png(key, value));
  std::vector<png_text> entries(texts.size());
  for (size_t i = 0; i < texts.size(); ++i) {
    png_text& e = entries[i];
    e.compression = texts[i].itxt ? PNG_ITXT_COMPRESSION_NONE : PNG_TEXT_COMPRESSION_NONE;
    e.key = texts[i].key.data();
    e.text = texts[i].value.data();
    if (texts[i].itxt) {
      e.itxt_length = texts[i].value.size();
      e.lang = nullptr;  // empty language tag and translated keyword
      e.lang_key = nullptr;
    } else {
      e.text_length = texts[i].value.size();
    }
  }
  const size_t stride = image.row_bytes();
  std::vector<png_bytep> rows(static_cast<size_t>(image.height));
  for (size_t y = 0; y < rows.size(); ++y) rows[y] = const_cast<png_bytep>(image.pixels.data() + y * stride);

  PngSink sink;
  sink.error[0] = '\0';
  PngWriter w;
  w.png = png_create_write_struct(PNG_LIBPNG_VER_STRING, &sink, png_on_write_error, png_on_warning);
  check(w.png != nullptr, "encode_png: cannot initialise libpng");
  w.info = png_create_info_struct(w.png);
  check(w.info != nullptr, "encode_png: cannot initialise libpng");
  if (!png_write_all(w, sink, image, entries.data(), static_cast<int>(entries.size()), rows.data()))
    fail("encode_png: libpng failed: ", sink.error);
  check(!sink.failed, "encode_png: out of memory for the PNG bytes");
  return std::move(sink.bytes);
#else
  (void)image;
  (void)text;
  fail("cannot write PNG: fluxgen was built without libpng (install libpng-dev and rebuild)");
#endif
}

}  // namespace fluxgen
