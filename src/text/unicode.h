// Character classes and lower-casing with Python's semantics (tables from Python's Unicode
// database, see unicode_tables.h), for tokenizers that must reproduce Python reference code.
#pragma once
#include <span>
#include <string>
#include <string_view>

#include "text/unicode_tables.h"

namespace fluxgen::unicode {

// Whether c lies in one of the sorted ranges of a generated table.
bool in_table(std::span<const unicode_tables::CodeRange> table, char32_t c);
bool is_letter(char32_t c);      // \p{L}
bool is_number(char32_t c);      // \p{N}
bool is_whitespace(char32_t c);  // str.isspace(), i.e. Python's re \s
// str.lower(): full lower-case mapping (U+0130 becomes "i̇") and Greek final sigma in context.
std::u32string python_lower(std::u32string_view s);

}  // namespace fluxgen::unicode
