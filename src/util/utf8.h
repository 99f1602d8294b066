// UTF-8 conversions for text that crosses file formats: PNG tEXt is Latin-1, iTXt UTF-8, EXIF
// UserComment UTF-16; fluxgen keeps all text as UTF-8 in memory.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace fluxgen {

bool is_valid_utf8(std::string_view s);
// Appends code point `cp` (<= 0x10FFFF, not a surrogate) as UTF-8.
void append_utf8(std::string& out, uint32_t cp);
// Latin-1 bytes -> UTF-8 (every byte is a code point).
std::string latin1_to_utf8(std::string_view latin1);
// UTF-8 -> Latin-1 when every code point is <= U+00FF, else nullopt (also for invalid UTF-8).
std::optional<std::string> utf8_to_latin1(std::string_view utf8);
// UTF-16 code units (big- or little-endian bytes) -> UTF-8; an unpaired surrogate or an odd
// trailing byte becomes U+FFFD, as Python's decode(errors="replace").
std::string utf16_to_utf8(std::string_view bytes, bool big_endian);
// Invalid sequences become U+FFFD (Python's errors="replace").
std::string utf8_replace_invalid(std::string_view s);

}  // namespace fluxgen
