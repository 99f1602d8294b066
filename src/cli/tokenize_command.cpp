// `fluxgen tokenize --tokenizer clip|t5 [--vocab DIR] [--raw] "PROMPT"`: the token ids the text
// encoders get, space-separated on one line. CLIP: 77 ids (BOS, words, EOS, EOS padding); T5:
// 512 ids (words, </s>, 0 padding); --raw: the word ids alone.
#include <cstdio>

#include "cli/commands.h"
#include "text/clip_tokenizer.h"
#include "text/t5_tokenizer.h"
#include "util/error.h"

namespace fluxgen::cli {

namespace {
struct TokenizeOptions {
  std::string tokenizer, vocab, prompt;
  bool raw = false;
  size_t length = 0;
};

void print_ids(const std::vector<int32_t>& ids) {
  std::string line;
  for (size_t i = 0; i < ids.size(); ++i) {
    if (i) line += ' ';
    line += std::to_string(ids[i]);
  }
  line += '\n';
  std::fputs(line.c_str(), stdout);
}
}  // namespace

void register_tokenize_command(CLI::App& app) {
  auto opt = std::make_shared<TokenizeOptions>();
  CLI::App* cmd = app.add_subcommand("tokenize", "Print the token ids of a prompt for CLIP-L or T5-XXL");
  cmd->add_option("--tokenizer", opt->tokenizer, "clip or t5")->required()->check(CLI::IsMember({"clip", "t5"}));
  cmd->add_option("--vocab", opt->vocab,
                  "Tokenizer folder or file: CLIP vocab.json + merges.txt or bpe_simple_vocab_16e6.txt.gz; T5 "
                  "tokenizer.json or spiece.model (default: the copy shipped with fluxgen)");
  cmd->add_flag("--raw", opt->raw, "Only the word ids: no start/end tokens, no truncation, no padding");
  cmd->add_option("--length", opt->length, "Sequence length (default 77 for clip, 512 for t5)");
  cmd->add_option("prompt", opt->prompt, "The prompt text")->required();
  cmd->callback([opt] {
    if (opt->tokenizer == "clip") {
      const ClipTokenizer tok = ClipTokenizer::load(opt->vocab);
      print_ids(opt->raw ? tok.encode_raw(opt->prompt)
                         : tok.encode(opt->prompt, opt->length ? opt->length : ClipTokenizer::kContextLength));
    } else {
      const T5Tokenizer tok = T5Tokenizer::load(opt->vocab);
      print_ids(opt->raw ? tok.encode_raw(opt->prompt)
                         : tok.encode(opt->prompt, opt->length ? opt->length : T5Tokenizer::kMaxLength));
    }
  });
}

}  // namespace fluxgen::cli
