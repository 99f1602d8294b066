// PNG with libpng: decoding (every bit depth, palette, gray, alpha and tRNS, interlaced) and
// encoding of 8-bit RGB/RGBA/gray with text chunks exactly as Pillow's PngInfo.add_text writes them
// for A1111: tEXt when the text is Latin-1, iTXt (UTF-8) otherwise.
#pragma once
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "io/image/decoded_image.h"

namespace fluxgen {

// Whether this build can decode / encode PNG (both need libpng).
bool png_decoding_available();
bool png_encoding_available();

// Throws fluxgen::Error naming `what` (the file) on any corrupt, truncated or oversized input.
DecodedImage decode_png(std::span<const uint8_t> bytes, std::string_view what);

// A complete PNG file in memory. `text`: (key, UTF-8 value) pairs written before the image data;
// keys are 1-79 Latin-1 characters as the PNG specification requires.
std::string encode_png(const Image& image, const std::vector<std::pair<std::string, std::string>>& text = {});

}  // namespace fluxgen
