// Reading a whole .gz file (OpenAI's bpe_simple_vocab_16e6.txt.gz). Needs zlib, which is optional:
// without it the function throws an error saying so.
#pragma once
#include <string>

namespace fluxgen {

// The decompressed contents; refuses more than `max_bytes` of output (a gzip bomb).
std::string read_gzip_file(const std::string& path, size_t max_bytes = size_t(256) << 20);

}  // namespace fluxgen
