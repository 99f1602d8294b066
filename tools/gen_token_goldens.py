#!/usr/bin/env python3
"""Writes tests/data/token_goldens.json: more prompts with the ids the reference tokenizers give,
beyond tests/fixtures/tokens.json, aimed at the corners of text handling (emoji, curly quotes,
full-width forms, ligatures, HTML entities, Greek final sigma, combining marks, control
characters, broken-looking punctuation runs).

  clip_raw: OpenAI's CLIP tokenizer itself (clip/simple_tokenizer.py from github.com/openai/CLIP,
            with ftfy from github.com/rspeer/python-ftfy and the `regex` module), over
            data/tokenizers/bpe_simple_vocab_16e6.txt.gz;
  t5_raw:   Google's SentencePiece (libsentencepiece) on T5's spiece.model, through
            `fluxgen tokenize --tokenizer t5 --raw --vocab spiece.model` (a build with
            FLUXGEN_WITH_SENTENCEPIECE, where that path is the library's own encoder).

Prompts that ftfy would treat as mojibake (fix_text differs with fix_encoding=False) are left
out: fluxgen does not reproduce that heuristic repair.

  python3 tools/gen_token_goldens.py --clip-repo CLIP --ftfy-repo python-ftfy \\
      --fluxgen build/fluxgen --spiece tests/fixtures/spiece.model > tests/data/token_goldens.json
"""
import argparse
import json
import random
import subprocess
import sys

CURATED = [
    "🐱🐶🔥✨", "a cat 🐱 on a sofa 🛋️", "👩‍👩‍👧‍👦 family portrait", "🇺🇦 flag, 🇯🇵 flag", "❤️‍🔥 heart on fire",
    "“curly quotes” and ‘single’ quotes", "it’s a photo", "„German“ quotes", "ＦＵＬＬ ｗｉｄｔｈ　ｔｅｘｔ",
    "ﬁne ﬂowers, ﬀ ligatures", "Tom &amp; Jerry", "&lt;b&gt;bold&lt;/b&gt;", "&ldquo;hi&rdquo; &EACUTE;",
    "caf\u00e9 vs cafe\u0301", "ΟΔΟΣ ΣΑΣ Σ", "İstanbul", "Straße GROSS", "naïve coöperate",
    "Портрет женщины", "日本語のテキスト", "한국어 텍스트", "العربية", "עברית", "हिन्दी",
    "x² + y³ = z½", "①②③ ⅣⅤ", "tab\tand\nnewline\r\nend", "\u2028line\u2029para", "zero\u200bwidth",
    "bom\ufeffhere", "\x01\x02control\x7f", "ansi \x1b[31mred\x1b[0m text", "(masterpiece:1.2), [blurry]",
    "BREAK AND <lora:x:0.5>", "don't won't I'M we'LL they'RE", "'s 't 're 've 'm 'll 'd",
    "<|startoftext|>hello<|endoftext|>", "!!!???...,,,", "a—b–c…d", "🎨🖌️🖼️ art", "ǅ ǈ ǋ ǲ", "ŉ ĳ",
    "\u0345\u0301 marks", "ⓐⓑⓒ", "㈱ ㍻ ㎏", "ｶﾞｷﾞ ﾊﾟ", "   leading and trailing   ", "",
]

ATOMS = ["a", "Photo", " ", "  ", "\t", "\n", "\u00a0", "\u3000", "'s", "'T", "'re", "it's", ",", ".", "!!",
         "(", ")", "[", "]", ":1.2", "<lora:x:0.5>", "1", "23", "4.5", "é", "e\u0301", "ß", "Ω", "ΟΔΟΣ", "Σ",
         "Ж", "ПОРТРЕТ", "日本", "한국어", "ﬁ", "ｆｕｌｌ", "①", "½", "™", "…", "—", "🐱", "👩\u200d👩", "\ufe0f",
         "\x01", "\x7f", "İ", "ǅ", "&amp;", "&lt;", "&#128512;", "&copy2024", "&nbsp;", "“q”", "‘s’", "x²",
         "٣", "Ⅻ", "ſ", "'ſ", "K", "\U0001F1FA\U0001F1E6", "_", "-", "~", "@#$", "ａｂｃ", "ｶﾞ"]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--clip-repo", required=True)
    ap.add_argument("--ftfy-repo", required=True)
    ap.add_argument("--fluxgen", required=True)
    ap.add_argument("--spiece", required=True)
    ap.add_argument("--vocab", default="data/tokenizers/bpe_simple_vocab_16e6.txt.gz")
    ap.add_argument("--random", type=int, default=250)
    args = ap.parse_args()
    sys.path.insert(0, args.clip_repo)
    sys.path.insert(0, args.ftfy_repo)
    import ftfy
    from clip.simple_tokenizer import SimpleTokenizer
    tok = SimpleTokenizer(args.vocab)

    rng = random.Random(20240601)
    prompts = list(CURATED)
    for _ in range(args.random):
        prompts.append("".join(rng.choice(ATOMS) for _ in range(rng.randint(1, 10))))
    rows, skipped = [], 0
    for p in prompts:
        if ftfy.fix_text(p) != ftfy.fix_text(p, fix_encoding=False):
            skipped += 1
            continue
        out = subprocess.run([args.fluxgen, "tokenize", "--tokenizer", "t5", "--raw", "--vocab", args.spiece, "--", p],
                             capture_output=True, text=True, check=True).stdout.split()
        rows.append({"prompt": p, "clip_raw": tok.encode(p), "t5_raw": [int(x) for x in out]})
    json.dump({"what": "clip_raw: OpenAI simple_tokenizer (with ftfy) ids; t5_raw: libsentencepiece on spiece.model; "
                       "made by tools/gen_token_goldens.py (%d mojibake-like prompts left out)" % skipped,
               "rows": rows}, sys.stdout, ensure_ascii=False, indent=0)


if __name__ == "__main__":
    main()
