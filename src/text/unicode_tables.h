// Unicode facts the tokenizers need, generated from Python's Unicode database by
// tools/gen_unicode_tables.py (src/text/unicode_tables.cpp), so that character classes and
// lower-casing agree with the Python reference tokenizers the golden ids come from.
#pragma once
#include <cstdint>
#include <span>

namespace fluxgen::unicode_tables {

struct CodeRange {
  char32_t first, last;  // inclusive
};

// lower(c) = c + delta for c = first, first + stride, ... up to last.
struct LowerRun {
  char32_t first, last;
  int32_t delta;
  uint8_t stride;
};

// One level of a canonical decomposition: code_point -> first (+ second when not 0).
struct Decomposition {
  char32_t code_point, first, second;
};
struct CombiningClass {
  char32_t first, last, combining_class;  // inclusive range with a non-zero class
};
// NFC's primary composites: (first, second) -> composite.
struct Composition {
  char32_t first, second, composite;
};
// ftfy's fix_character_width: code_point -> first (+ second when not 0).
struct WidthMapping {
  char32_t code_point, first, second;
};

extern const char* const unicode_version;
extern const std::span<const CodeRange> letters;         // \p{L}
extern const std::span<const CodeRange> numbers;         // \p{N}
extern const std::span<const CodeRange> whitespace;      // Python str.isspace()
// CLIP's split pattern as the regex module matches it case-insensitively: [\p{L}], [\p{N}], and
// what no alternative matches (skipped like white space).
extern const std::span<const CodeRange> clip_letters;
extern const std::span<const CodeRange> clip_numbers;
extern const std::span<const CodeRange> clip_unmatched;
extern const std::span<const CodeRange> cased;           // str.lower()'s final-sigma context
extern const std::span<const CodeRange> case_ignorable;
extern const std::span<const LowerRun> lower_runs;       // str.lower(), one code point to one
extern const std::span<const Decomposition> decompositions;      // sorted by code point
extern const std::span<const CombiningClass> combining_classes;  // sorted
extern const std::span<const Composition> compositions;          // sorted by (first, second)
extern const std::span<const WidthMapping> width_map;            // sorted by code point

}  // namespace fluxgen::unicode_tables
