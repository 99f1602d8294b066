#include "io/image/image_io.h"

#include <cstring>

#include "io/image/exif.h"
#include "io/image/jpeg_codec.h"
#include "io/image/png_codec.h"
#include "io/image/webp_codec.h"
#include "io/mapped_file.h"
#include "util/base64.h"
#include "util/error.h"

namespace fluxgen {

const char* image_format_name(ImageFormat format) {
  switch (format) {
    case ImageFormat::PNG: return "PNG";
    case ImageFormat::JPEG: return "JPEG";
    case ImageFormat::WebP: return "WebP";
  }
  return "?";
}

namespace {

bool starts_with_bytes(std::span<const uint8_t> b, const char* sig, size_t n, size_t at = 0) {
  return b.size() >= at + n && std::memcmp(b.data() + at, sig, n) == 0;
}

// A short description of unrecognised content for the error message.
std::string describe_unknown(std::span<const uint8_t> b) {
  if (b.empty()) return "the file is empty";
  if (starts_with_bytes(b, "GIF8", 4)) return "GIF is not supported (use PNG, JPEG or WebP)";
  if (starts_with_bytes(b, "BM", 2)) return "BMP is not supported (use PNG, JPEG or WebP)";
  if (starts_with_bytes(b, "II*\0", 4) || starts_with_bytes(b, "MM\0*", 4))
    return "TIFF is not supported (use PNG, JPEG or WebP)";
  if (starts_with_bytes(b, "ftyp", 4, 4)) return "HEIF/AVIF is not supported (use PNG, JPEG or WebP)";
  return "not a PNG, JPEG or WebP image";
}

}  // namespace

DecodedImage decode_image(std::span<const uint8_t> bytes, std::string_view what) {
  if (starts_with_bytes(bytes, "\x89PNG\r\n\x1a\n", 8)) return decode_png(bytes, what);
  if (starts_with_bytes(bytes, "\xFF\xD8\xFF", 3)) return decode_jpeg(bytes, what);
  if (starts_with_bytes(bytes, "RIFF", 4) && starts_with_bytes(bytes, "WEBP", 4, 8)) return decode_webp(bytes, what);
  fail(what, ": ", describe_unknown(bytes));
}

DecodedImage read_image_file(const std::string& path) {
  const auto file = MappedFile::open(path);
  return decode_image(std::span<const uint8_t>(file->data(), file->size()), path);
}

void write_png(const std::string& path, const Image& image, const TextChunks& text) {
  std::string bytes;
  try {
    bytes = encode_png(image, text);
  } catch (const Error& e) {
    fail(path, ": ", e.what());
  }
  write_file_atomically(path, bytes.data(), bytes.size());
}

DecodedImage decode_image_base64(std::string_view text, std::string_view what) {
  // "data:image/png;base64,...." as browsers and the A1111 web UI send it.
  if (text.substr(0, 5) == "data:") {
    const size_t comma = text.find(',');
    check(comma != std::string_view::npos, what, ": data URL without a ',' before the image data");
    const std::string_view header = text.substr(0, comma);
    check(header.size() >= 7 && header.substr(header.size() - 7) == ";base64", what,
          ": data URL is not base64-encoded (expected \"data:image/...;base64,\")");
    text.remove_prefix(comma + 1);
  }
  const std::vector<uint8_t> bytes = base64_decode(text, what);
  return decode_image(bytes, what);
}

std::string encode_png_base64(const Image& image, const TextChunks& text) {
  return base64_encode(encode_png(image, text));
}

std::optional<std::string> infotext_from_metadata(const ImageMetadata& metadata) {
  std::optional<std::string> info;
  std::optional<std::string> comment;
  for (const auto& [key, value] : metadata.text) {
    if (key == "parameters" && !info) info = value;
    if (key == "comment" && !comment) comment = value;
  }
  if (!metadata.exif.empty()) {
    if (auto user_comment = exif_user_comment(metadata.exif); user_comment && !user_comment->empty())
      return user_comment;
  } else if (comment) {
    return comment;
  }
  return info;
}

}  // namespace fluxgen
