// spiece.model files through Google's libsentencepiece (Debian's libsentencepiece-dev), which is
// optional: without it (FLUXGEN_WITH_SENTENCEPIECE undefined) loading throws an error pointing
// to tokenizer.json, which fluxgen reads on its own.
#pragma once
#include <memory>
#include <string>

#include "text/t5_tokenizer.h"

namespace fluxgen {

struct SentencePieceModelInfo {
  std::shared_ptr<const SubwordEncoder> encoder;
  int32_t eos_id = 1;
  int32_t pad_id = 0;
  size_t vocab_size = 0;
};

bool sentencepiece_library_available();
SentencePieceModelInfo load_sentencepiece_model(const std::string& path);

}  // namespace fluxgen
