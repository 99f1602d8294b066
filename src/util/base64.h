// Base64 (RFC 4648, standard alphabet, '=' padding): the A1111 API carries images as base64 strings.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace fluxgen {

std::string base64_encode(const void* data, size_t size);
inline std::string base64_encode(std::string_view bytes) { return base64_encode(bytes.data(), bytes.size()); }

// Decodes base64, skipping ASCII whitespace (line breaks in pasted data); padding may be omitted.
// Any other character outside the alphabet, a misplaced '=' or a dangling single character is an
// error naming `what` and the offset.
std::vector<uint8_t> base64_decode(std::string_view text, std::string_view what = "base64 data");

}  // namespace fluxgen
