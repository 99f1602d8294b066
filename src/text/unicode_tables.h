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

extern const char* const unicode_version;
extern const std::span<const CodeRange> letters;         // \p{L}
extern const std::span<const CodeRange> numbers;         // \p{N}
extern const std::span<const CodeRange> whitespace;      // Python str.isspace()
extern const std::span<const CodeRange> cased;           // str.lower()'s final-sigma context
extern const std::span<const CodeRange> case_ignorable;
extern const std::span<const LowerRun> lower_runs;       // str.lower(), one code point to one

}  // namespace fluxgen::unicode_tables
