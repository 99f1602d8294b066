// Base64 (RFC 4648, standard alphabet) decoding, for binary blobs inside JSON files such as the
// precompiled normalizer of a tokenizer.json.
#pragma once
#include <string>
#include <string_view>

namespace fluxgen {

// Throws an Error naming `what` on a character outside the alphabet or bad padding. White space
// is ignored.
std::string base64_decode(std::string_view text, std::string_view what);

}  // namespace fluxgen
