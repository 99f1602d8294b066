// Unicode NFC (canonical decomposition, canonical ordering, canonical composition), with the
// tables of Python's unicodedata (unicode_tables.h), as unicodedata.normalize("NFC", s).
#pragma once
#include <string>
#include <string_view>

namespace fluxgen::unicode {

std::u32string nfc(std::u32string_view s);
// The canonical combining class (0 for starters).
int combining_class(char32_t c);

}  // namespace fluxgen::unicode
