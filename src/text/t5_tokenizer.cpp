#include "text/t5_tokenizer.h"

#include <filesystem>

#include "io/json.h"
#include "io/mapped_file.h"
#include "text/sentencepiece_library.h"
#include "text/sentencepiece_normalizer.h"
#include "text/unigram_model.h"
#include "util/base64.h"
#include "util/data_files.h"
#include "util/error.h"
#include "util/strings.h"

namespace fluxgen {

namespace {
namespace fs = std::filesystem;

class OwnSentencePiece final : public SubwordEncoder {
 public:
  OwnSentencePiece(SentencePieceNormalizer normalizer, UnigramModel model)
      : normalizer_(std::move(normalizer)), model_(std::move(model)) {}
  std::vector<int32_t> encode(std::string_view text) const override {
    return model_.encode(normalizer_.normalize(text));
  }

 private:
  SentencePieceNormalizer normalizer_;
  UnigramModel model_;
};

// The normalizer section: the Precompiled charsmap, plus the Strip/Replace steps HF's converter
// adds to imitate SentencePiece's white-space rules (which the normalizer applies anyway).
PrecompiledCharsmap read_normalizer(const json::Value* n, const std::string& what) {
  if (!n || n->is_null()) return {};
  const std::string type = n->string_or("type", "");
  if (type == "Sequence") {
    PrecompiledCharsmap found;
    for (const auto& step : n->at("normalizers").as_array()) {
      PrecompiledCharsmap m = read_normalizer(&step, what);
      if (!m.empty()) found = std::move(m);
    }
    return found;
  }
  if (type == "Precompiled") {
    const json::Value* blob = n->find("precompiled_charsmap");
    if (!blob || blob->is_null()) return {};
    const std::vector<uint8_t> bytes = base64_decode(blob->as_string(), what + ": precompiled_charsmap");
    return PrecompiledCharsmap(std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()), what);
  }
  if (type == "Strip" || type == "Replace") return {};
  fail(what, ": normalizer \"", type, "\" is not supported (a SentencePiece tokenizer.json has Precompiled, "
       "Strip and Replace)");
}

// Metaspace's "add a ▁ in front" setting is SentencePiece's add_dummy_prefix.
bool read_dummy_prefix(const json::Value* p, const std::string& what) {
  if (!p || p->is_null()) fail(what, ": no pre_tokenizer; a SentencePiece tokenizer.json has Metaspace");
  const std::string type = p->string_or("type", "");
  if (type == "Sequence") {
    for (const auto& step : p->at("pretokenizers").as_array())
      if (step.string_or("type", "") == "Metaspace") return read_dummy_prefix(&step, what);
    fail(what, ": the pre_tokenizer sequence has no Metaspace step");
  }
  if (type != "Metaspace") fail(what, ": pre_tokenizer \"", type, "\" is not supported (expected Metaspace)");
  if (p->string_or("replacement", "\xE2\x96\x81") != "\xE2\x96\x81")
    fail(what, ": Metaspace replacement must be U+2581");
  if (const json::Value* scheme = p->find("prepend_scheme"); scheme && scheme->is_string())
    return scheme->as_string() != "never";
  return p->bool_or("add_prefix_space", true);
}

int32_t piece_id(const std::vector<UnigramPiece>& pieces, std::string_view text, const std::string& what) {
  for (size_t i = 0; i < pieces.size(); ++i)
    if (pieces[i].text == text) return static_cast<int32_t>(i);
  fail(what, ": the vocabulary has no ", text, " piece");
}
}  // namespace

T5Tokenizer::T5Tokenizer(std::shared_ptr<const SubwordEncoder> encoder, int32_t eos, int32_t pad, size_t vocab_size,
                         std::string source)
    : encoder_(std::move(encoder)), eos_(eos), pad_(pad), vocab_size_(vocab_size), source_(std::move(source)) {}

T5Tokenizer T5Tokenizer::from_tokenizer_json(std::string_view json_text, const std::string& what) {
  const json::Value doc = json::parse(json_text, what);
  check(doc.is_object(), what, ": not a tokenizer.json object");
  const json::Value* model = doc.find("model");
  if (!model || !model->is_object()) fail(what, ": no \"model\" section");
  const std::string type = model->string_or("type", "");
  if (type != "Unigram")
    fail(what, ": model type \"", type, "\" is not supported here (T5's tokenizer.json is a Unigram model)");
  const json::Value* vocab = model->find("vocab");
  if (!vocab || !vocab->is_array() || vocab->size() == 0) fail(what, ": model.vocab must be a non-empty list");

  std::vector<UnigramPiece> pieces;
  pieces.reserve(vocab->size());
  for (size_t i = 0; i < vocab->size(); ++i) {
    const json::Value& entry = vocab->at(i);
    if (!entry.is_array() || entry.size() != 2 || !entry.at(size_t(0)).is_string() || !entry.at(1).is_number())
      fail(what, ": model.vocab[", i, "] must be [piece, score]");
    pieces.push_back({entry.at(size_t(0)).as_string(), static_cast<float>(entry.at(1).as_number()),
                      UnigramPiece::Kind::Normal});
  }
  const json::Value* unk = model->find("unk_id");
  if (!unk || !unk->is_integer() || unk->as_int() < 0 || unk->as_int() >= static_cast<int64_t>(pieces.size()))
    fail(what, ": model.unk_id must be an id of the vocabulary");
  pieces[static_cast<size_t>(unk->as_int())].kind = UnigramPiece::Kind::Unknown;
  const bool byte_fallback = model->bool_or("byte_fallback", false);

  // Special added tokens are SentencePiece's control pieces: never matched in text.
  if (const json::Value* added = doc.find("added_tokens"); added && added->is_array()) {
    for (const auto& t : added->as_array()) {
      const int64_t id = t.int_or("id", -1);
      if (id < 0 || id >= static_cast<int64_t>(pieces.size()))
        fail(what, ": added token \"", t.string_or("content", ""), "\" has id ", id, " outside the vocabulary");
      UnigramPiece& p = pieces[static_cast<size_t>(id)];
      if (t.bool_or("special", false) && p.kind == UnigramPiece::Kind::Normal) p.kind = UnigramPiece::Kind::Control;
    }
  }
  if (byte_fallback) {
    for (auto& p : pieces)
      if (p.kind == UnigramPiece::Kind::Normal && p.text.size() == 6 && starts_with(p.text, "<0x") && p.text[5] == '>')
        p.kind = UnigramPiece::Kind::Byte;
  }

  NormalizerSpec spec;
  spec.add_dummy_prefix = read_dummy_prefix(doc.find("pre_tokenizer"), what);
  PrecompiledCharsmap charsmap = read_normalizer(doc.find("normalizer"), what);
  const int32_t eos = piece_id(pieces, "</s>", what), pad = piece_id(pieces, "<pad>", what);
  const size_t n = pieces.size();
  auto encoder = std::make_shared<OwnSentencePiece>(SentencePieceNormalizer(std::move(charsmap), spec),
                                                    UnigramModel(std::move(pieces), byte_fallback, what));
  return T5Tokenizer(std::move(encoder), eos, pad, n, what);
}

T5Tokenizer T5Tokenizer::load(const std::string& path_in) {
  const std::string path = path_in.empty() ? find_data_path("tokenizers/t5") : path_in;
  std::error_code ec;
  if (fs::is_directory(path, ec)) {
    const fs::path dir(path);
    if (fs::exists(dir / "tokenizer.json", ec)) return load((dir / "tokenizer.json").string());
    if (fs::exists(dir / "spiece.model", ec)) return load((dir / "spiece.model").string());
    fail(path, ": no T5 tokenizer here (expected tokenizer.json or spiece.model)");
  }
  if (!fs::exists(path, ec)) fail(path, ": T5 tokenizer file not found");
  if (ends_with(path, ".model")) {
    SentencePieceModelInfo m = load_sentencepiece_model(path);
    return T5Tokenizer(std::move(m.encoder), m.eos_id, m.pad_id, m.vocab_size, path);
  }
  return from_tokenizer_json(read_text_file(path), path);
}

std::vector<int32_t> T5Tokenizer::encode_raw(std::string_view text) const { return encoder_->encode(text); }

std::vector<int32_t> T5Tokenizer::encode(std::string_view text, size_t max_len) const {
  check(max_len >= 1, "T5 tokenizer: max_len must leave room for </s>");
  std::vector<int32_t> ids = encode_raw(text);
  if (ids.size() > max_len - 1) ids.resize(max_len - 1);
  ids.push_back(eos_);
  ids.resize(max_len, pad_);
  return ids;
}

}  // namespace fluxgen
