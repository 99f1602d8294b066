#include "pipeline/text_conditioning.h"

namespace fluxgen {

TextEncoders::TextEncoders(std::unique_ptr<clip::ClipTextModel> clip, std::unique_ptr<t5::T5Encoder> t5,
                           ClipTokenizer clip_tok, T5Tokenizer t5_tok)
    : clip_(std::move(clip)), t5_(std::move(t5)), clip_tok_(std::move(clip_tok)), t5_tok_(std::move(t5_tok)) {}

const Conditioning& TextEncoders::encode(const std::string& text) {
  auto it = cache_.find(text);
  if (it != cache_.end()) return it->second;
  Conditioning c;
  c.y = clip_->forward(clip_tok_.encode(text)).pooled;
  c.txt = t5_->forward(t5_tok_.encode(text));
  return cache_.emplace(text, std::move(c)).first->second;
}

}  // namespace fluxgen
