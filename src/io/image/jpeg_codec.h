// JPEG decoding with libjpeg(-turbo): baseline and progressive, gray or YCbCr to RGB, with the
// APP1 EXIF block (where A1111 stores its infotext in JPEGs) and COM comments kept as metadata.
#pragma once
#include <cstdint>
#include <span>
#include <string_view>

#include "io/image/decoded_image.h"

namespace fluxgen {

bool jpeg_decoding_available();
// Throws fluxgen::Error naming `what` on corrupt, truncated, CMYK or oversized input.
DecodedImage decode_jpeg(std::span<const uint8_t> bytes, std::string_view what);

}  // namespace fluxgen
