// The text preparation of OpenAI's CLIP tokenizer (simple_tokenizer.py): ftfy.fix_text (its
// character-level repairs, ftfy_fixes.h), html-unescape twice, collapse white space, lower-case
// (Python's str.lower), then split into words with CLIP's pattern
//   <|startoftext|>|<|endoftext|>|'s|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]|[^\s\p{L}\p{N}]+
// (case-insensitive). The pattern is matched by hand over code points: at each position the
// alternatives are tried in order, as a regex engine's findall does; unmatched white space is
// skipped.
#pragma once
#include <string>
#include <string_view>
#include <vector>

namespace fluxgen {

// basic_clean (ftfy, html unescape) + whitespace_clean + lower(): the text the pattern runs over.
std::u32string clip_clean_text(std::string_view text);
// The words of cleaned text, each as UTF-8.
std::vector<std::string> clip_split_words(std::u32string_view cleaned);

}  // namespace fluxgen
