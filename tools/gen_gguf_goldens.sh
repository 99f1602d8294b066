#!/bin/sh
# Regenerates tests/data/gguf/* from ggml's reference quantizers (see gen_gguf_goldens.c).
# usage: tools/gen_gguf_goldens.sh GGML_GIT_DIR   (a clone of github.com/ggml-org/ggml)
set -eu
GGML_COMMIT=d99724f2b141fed9e1a9f402213506c081433465
here=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
git --git-dir="$1" archive "$GGML_COMMIT" src/ggml-quants.c src/ggml-quants.h src/ggml-common.h \
  src/ggml-impl.h src/ggml-cpu include | tar -x -C "$tmp"
gcc -O1 -std=gnu11 -I"$tmp/include" -I"$tmp/src" "$here/tools/gen_gguf_goldens.c" "$tmp/src/ggml-quants.c" \
  -lm -o "$tmp/gen"
mkdir -p "$here/tests/data/gguf"
"$tmp/gen" "$here/tests/data/gguf"
