// Reading and writing image files and base64 strings: the format is told by the file's first bytes
// (never its name), every failure names the file, and PNGs are written atomically (a temporary
// name, then a rename), so an interrupted run never leaves a half-written image.
#pragma once
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "io/image/decoded_image.h"

namespace fluxgen {

using TextChunks = std::vector<std::pair<std::string, std::string>>;

// PNG, JPEG or WebP by signature; anything else is an error naming `what` and what it looks like.
DecodedImage decode_image(std::span<const uint8_t> bytes, std::string_view what);
DecodedImage read_image_file(const std::string& path);
// Just the pixels (RGB or RGBA).
inline Image read_image(const std::string& path) { return read_image_file(path).image; }

// Encodes PNG with text chunks (A1111 writes its infotext as key "parameters") and writes it
// atomically.
void write_png(const std::string& path, const Image& image, const TextChunks& text = {});

// The A1111 API's image strings: base64 with or without a "data:image/...;base64," prefix.
DecodedImage decode_image_base64(std::string_view text, std::string_view what = "base64 image");
// PNG bytes as base64 without a prefix, as /sdapi/v1/txt2img returns images.
std::string encode_png_base64(const Image& image, const TextChunks& text = {});

// The generation parameters stored with an image, found the way A1111's read_info_from_image
// does: the PNG "parameters" text, replaced by the EXIF UserComment when one is present, else a
// JPEG/GIF "comment". nullopt when the file carries none.
std::optional<std::string> infotext_from_metadata(const ImageMetadata& metadata);

}  // namespace fluxgen
