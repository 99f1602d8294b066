// UTF-8 <-> code points for the tokenizers. Decoding never fails: each maximal ill-formed
// subsequence becomes one U+FFFD, as Python's bytes.decode("utf-8", "replace") does, so a prompt
// arriving with broken bytes is tokenized the way the Python tools would see it.
#pragma once
#include <string>
#include <string_view>

namespace fluxgen::utf8 {

constexpr char32_t kReplacement = 0xFFFD;

std::u32string decode(std::string_view s);
void append(std::string& out, char32_t c);
std::string encode(std::u32string_view s);
// Bytes of the well-formed sequence starting at s[0], or 0 when s is empty or ill-formed there.
size_t sequence_length(std::string_view s);

}  // namespace fluxgen::utf8
