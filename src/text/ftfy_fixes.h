// The character-level repairs of ftfy.fix_text (python-ftfy 6, default settings), which OpenAI's
// CLIP tokenizer runs on every prompt before anything else:
//   per line, repeated until nothing changes (at most 32 passes: only entities nested deeper than
//   that, "&amp;amp;amp;...", could tell):
//   - HTML entities ending in ';' decoded (only while no '<' has been seen), all-caps spellings too
//   - C1 control characters read as Windows-1252 (\x93 -> “)
//   - Latin ligatures taken apart (ﬁ -> fi, ĳ -> ij, ǆ -> dž)
//   - halfwidth/fullwidth forms to their normal width (ＡＢＣ -> ABC, U+3000 -> space)
//   - curly quotes straightened (‘ ’ ‚ ‛ ʼ -> ', “ ” „ ‟ -> ")
//   - line breaks unified (\r\n, \r, U+2028, U+2029, U+0085 -> \n)
//   - terminal colour escapes and invisible control characters removed
//   - NFC normalization
// Not reproduced: fix_encoding, ftfy's heuristic repair of mojibake ("Ã©" -> "é"), which needs its
// statistical badness model; text that is not mojibake is unaffected by it.
#pragma once
#include <string>
#include <string_view>

namespace fluxgen {

std::u32string ftfy_fix_text(std::u32string_view text);

}  // namespace fluxgen
