#include "text/sentencepiece_library.h"

#include "util/error.h"

#ifdef FLUXGEN_WITH_SENTENCEPIECE
#include <sentencepiece_processor.h>
#endif

namespace fluxgen {

#ifdef FLUXGEN_WITH_SENTENCEPIECE
namespace {
class LibrarySentencePiece final : public SubwordEncoder {
 public:
  explicit LibrarySentencePiece(const std::string& path) : path_(path) {
    const auto status = processor_.Load(path);
    if (!status.ok()) fail(path, ": not a SentencePiece model (", status.ToString(), ")");
  }
  std::vector<int32_t> encode(std::string_view text) const override {
    std::vector<int> ids;
    const auto status = processor_.Encode(text, &ids);
    if (!status.ok()) fail(path_, ": SentencePiece could not encode the text (", status.ToString(), ")");
    return std::vector<int32_t>(ids.begin(), ids.end());
  }
  const sentencepiece::SentencePieceProcessor& processor() const { return processor_; }

 private:
  std::string path_;
  sentencepiece::SentencePieceProcessor processor_;
};
}  // namespace

bool sentencepiece_library_available() { return true; }

SentencePieceModelInfo load_sentencepiece_model(const std::string& path) {
  auto enc = std::make_shared<LibrarySentencePiece>(path);
  const auto& p = enc->processor();
  SentencePieceModelInfo info;
  info.eos_id = p.eos_id();
  info.pad_id = p.pad_id() >= 0 ? p.pad_id() : 0;  // T5 defines <pad> = 0
  info.vocab_size = static_cast<size_t>(p.GetPieceSize());
  check(info.eos_id >= 0, path, ": the SentencePiece model has no </s> piece");
  info.encoder = std::move(enc);
  return info;
}
#else
bool sentencepiece_library_available() { return false; }

SentencePieceModelInfo load_sentencepiece_model(const std::string& path) {
  fail(path, ": this fluxgen was built without libsentencepiece and cannot read .model files; use the "
             "tokenizer.json beside it (or fluxgen's shipped one)");
}
#endif

}  // namespace fluxgen
