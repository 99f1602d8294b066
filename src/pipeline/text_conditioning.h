// FLUX's conditioning from a prompt: CLIP-L's pooled vector (y, [1, 768]) and T5-XXL's token
// states over 512 tokens (txt, [1, 512, 4096]), each encoder with its own tokenizer.
#pragma once
#include <map>
#include <memory>
#include <string>

#include "models/clip/clip_text_model.h"
#include "models/t5/t5_encoder.h"
#include "text/clip_tokenizer.h"
#include "text/t5_tokenizer.h"

namespace fluxgen {

struct Conditioning {
  Tensor txt;  // [1, T, d_model]
  Tensor y;    // [1, vec]
};

class TextEncoders {
 public:
  TextEncoders(std::unique_ptr<clip::ClipTextModel> clip, std::unique_ptr<t5::T5Encoder> t5, ClipTokenizer clip_tok,
               T5Tokenizer t5_tok);
  // Encodes once per distinct text (cached until clear_cache()).
  const Conditioning& encode(const std::string& text);
  void clear_cache() { cache_.clear(); }

  clip::ClipTextModel& clip() { return *clip_; }
  t5::T5Encoder& t5() { return *t5_; }

 private:
  std::unique_ptr<clip::ClipTextModel> clip_;
  std::unique_ptr<t5::T5Encoder> t5_;
  ClipTokenizer clip_tok_;
  T5Tokenizer t5_tok_;
  std::map<std::string, Conditioning> cache_;
};

}  // namespace fluxgen
