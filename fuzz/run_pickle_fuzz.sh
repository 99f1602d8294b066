#!/bin/bash
# Builds the torch pickle fuzzer (clang, libFuzzer + ASan + UBSan) and runs it for SECONDS seconds
# on a seed corpus made from the fixture checkpoints. Usage: fuzz/run_pickle_fuzz.sh [SECONDS]
# Findings (crash-*, leak-*, timeout-*) land in build-fuzz/artifacts/.
set -euo pipefail
SECONDS_TO_RUN=${1:-60}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
OUT=$ROOT/build-fuzz
CXX=${CXX:-$(command -v clang++-14 || command -v clang++)}
mkdir -p "$OUT/obj" "$OUT/corpus" "$OUT/artifacts"

SOURCES=("$ROOT"/src/io/torch_pickle/*.cpp "$ROOT"/src/io/tensor_store.cpp "$ROOT"/src/io/safetensors.cpp
         "$ROOT"/src/io/bnb_prequantized_store.cpp "$ROOT"/src/io/mapped_file.cpp "$ROOT"/src/io/json.cpp
         "$ROOT"/src/tensor/*.cpp "$ROOT"/src/util/*.cpp "$ROOT"/fuzz/torch_pickle_fuzz.cpp)
FLAGS=(-std=c++20 -O1 -g -fno-omit-frame-pointer -fsanitize=fuzzer,address,undefined
       -fno-sanitize-recover=undefined -I"$ROOT/src" -DFLUXGEN_DATA_DIR=\"\" -DFLUXGEN_VERSION=\"fuzz\")
if [ -f /usr/include/zlib.h ]; then FLAGS+=(-DFLUXGEN_WITH_ZLIB=1); LIBS=(-lz); else LIBS=(); fi

# Incremental build: one object per source.
OBJS=()
for src in "${SOURCES[@]}"; do
  obj=$OUT/obj/$(echo "${src#$ROOT/}" | tr / _).o
  if [ ! -f "$obj" ] || [ "$src" -nt "$obj" ] || [ "$ROOT/fuzz/run_pickle_fuzz.sh" -nt "$obj" ]; then
    "$CXX" "${FLAGS[@]}" -c "$src" -o "$obj"
  fi
  OBJS+=("$obj")
done
"$CXX" "${FLAGS[@]}" "${OBJS[@]}" "${LIBS[@]}" -o "$OUT/torch_pickle_fuzz"

# Seeds: whole files (mode byte 0) and their object pickles alone (mode byte 1).
FIX=$ROOT/tests/fixtures
for f in "$FIX"/pickles/*.pt "$FIX"/pickles/*.pth "$FIX"/esrgan_old.pth "$FIX"/esrgan_basicsr.pth; do
  name=$(basename "$f")
  { printf '\x00'; cat "$f"; } > "$OUT/corpus/file-$name"
  if pkl=$(unzip -Z1 "$f" 2>/dev/null | grep '/data.pkl$'); then
    { printf '\x01'; unzip -p "$f" "$pkl"; } > "$OUT/corpus/pickle-$name"
  fi
done
# The legacy fixture's object pickle starts after its first three pickles (137 bytes).
{ printf '\x02'; tail -c +138 "$FIX/pickles/legacy.pt"; } > "$OUT/corpus/legacy-body"

cd "$OUT"
./torch_pickle_fuzz corpus -dict="$ROOT/fuzz/torch_pickle.dict" -max_total_time="$SECONDS_TO_RUN" \
  -max_len=65536 -rss_limit_mb=2048 -timeout=10 -artifact_prefix=artifacts/ -print_final_stats=1
