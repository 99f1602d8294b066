// The one EXIF field fluxgen reads: UserComment (tag 0x9286 in the Exif sub-IFD), where A1111 and
// Forge store the infotext of JPEG and WebP images (piexif.helper.UserComment.dump(text,
// encoding="unicode"): an 8-byte "UNICODE\0" prefix, then UTF-16).
#pragma once
#include <optional>
#include <string>
#include <string_view>

namespace fluxgen {

// The decoded UserComment (UTF-8), or nullopt when the EXIF block has none. `tiff` is the EXIF
// TIFF structure, with or without the "Exif\0\0" prefix. Malformed EXIF yields nullopt (A1111
// ignores unreadable EXIF too); offsets are bounds-checked, so hostile data cannot crash.
//   "ASCII\0\0\0" prefix   -> the bytes as text (non-ASCII bytes become U+FFFD, as Python's
//                             decode("ascii", errors="replace") in piexif)
//   "UNICODE\0" prefix     -> UTF-16 in the byte order of a BOM if present, else of the TIFF
//                             header (big-endian "MM" for piexif, which A1111 uses)
//   other / undefined      -> the whole field as lenient UTF-8 without NULs, as A1111's fallback
std::optional<std::string> exif_user_comment(std::string_view tiff);

}  // namespace fluxgen
