// WebP decoding with libwebp (lossy, lossless, alpha), plus the EXIF chunk of the RIFF container,
// where A1111 stores its infotext in WebP files. Animated WebP is refused.
#pragma once
#include <cstdint>
#include <span>
#include <string_view>

#include "io/image/decoded_image.h"

namespace fluxgen {

bool webp_decoding_available();
DecodedImage decode_webp(std::span<const uint8_t> bytes, std::string_view what);

}  // namespace fluxgen
