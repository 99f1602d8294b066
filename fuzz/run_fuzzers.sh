#!/usr/bin/env bash
# Builds every fuzz/*_fuzz.cpp as a libFuzzer binary (clang, with AddressSanitizer and
# UndefinedBehaviorSanitizer) and runs each for SECONDS seconds (default 30) from a seed corpus made
# of the test fixtures. Exits non-zero when a target crashes or reports an error; the input that
# did it is kept in build-fuzz/artifacts/.
#
#   fuzz/run_fuzzers.sh 30          # what CI runs
#   fuzz/run_fuzzers.sh 300         # a longer local session
#
# The targets compile only the sources they need (no CMake), so this works wherever clang++ and
# its runtime (Debian: clang, libclang-rt-dev) are installed. CLANGXX overrides the compiler.
set -euo pipefail

seconds=${1:-30}
root=$(cd "$(dirname "$0")/.." && pwd)
out="$root/build-fuzz"
cxx=${CLANGXX:-$(command -v clang++ || command -v clang++-14 || true)}
if [[ -z "$cxx" ]]; then
  echo "run_fuzzers.sh: clang++ not found (apt-get install clang libclang-rt-14-dev)" >&2
  exit 1
fi

# The library sources the targets reach: the safetensors header parser, the GGUF parser, the JSON parser, the
# data-only torch checkpoint reader and what they use.
sources=(src/io/safetensors.cpp src/io/gguf.cpp src/io/gguf_store.cpp src/io/json.cpp src/io/mapped_file.cpp src/io/tensor_store.cpp
         src/io/bnb_prequantized_store.cpp src/io/torch_pickle/*.cpp src/tensor/*.cpp src/util/*.cpp)
common=(-std=c++20 -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=undefined
        -I"$root/src" -DFLUXGEN_DATA_DIR=\"\" -DFLUXGEN_VERSION=\"fuzz\")
libs=(-lcrypto)  # util/sha256 hashes through OpenSSL's libcrypto
if [[ -f /usr/include/zlib.h ]]; then common+=(-DFLUXGEN_WITH_ZLIB=1); libs+=(-lz); fi

mkdir -p "$out/obj" "$out/artifacts"
objects=()
cd "$root"
for src in "${sources[@]}"; do
  obj="$out/obj/$(echo "${src%.cpp}" | tr / _).o"
  if [[ ! -f "$obj" || "$root/$src" -nt "$obj" || "$root/${src%.cpp}.h" -nt "$obj" || "$0" -nt "$obj" ]]; then
    "$cxx" "${common[@]}" -fsanitize=fuzzer-no-link -c "$root/$src" -o "$obj"
  fi
  objects+=("$obj")
done

# Seeds: the header (8-byte length + JSON) of every fixture safetensors file.
seed_safetensors_header() {
  local dir=$1 f len
  for f in "$root"/tests/fixtures/*.safetensors "$root"/tests/fixtures/real/*.safetensors; do
    [[ -f "$f" ]] || continue
    len=$(od -An -t u8 -N 8 "$f" | tr -d ' ')
    head -c $((8 + len)) "$f" >"$dir/$(basename "$f").header"
  done
}

# Seeds: the project's own JSON files (configs, tokenizer settings) under 64 KiB, and the JSON text
# of every fixture header.
seed_json() {
  local dir=$1 f len
  while IFS= read -r -d '' f; do
    cp "$f" "$dir/$(echo "${f#"$root"/}" | tr '/' '_')"
  done < <(find "$root/data" "$root/tests/fixtures" -name '*.json' -size -64k -print0)
  for f in "$root"/tests/fixtures/*.safetensors; do
    len=$(od -An -t u8 -N 8 "$f" | tr -d ' ')
    dd if="$f" of="$dir/$(basename "$f").json" iflag=skip_bytes,count_bytes skip=8 count="$len" status=none
  done
}

# Seeds for the torch reader: whole files (mode byte 0), their object pickles alone (mode byte 1)
# and the legacy fixture's object pickle, which starts after its first three pickles (mode byte 2).
seed_torch_pickle() {
  local dir=$1 f name pkl fix="$root/tests/fixtures"
  for f in "$fix"/pickles/*.pt "$fix"/pickles/*.pth "$fix"/esrgan_old.pth "$fix"/esrgan_basicsr.pth; do
    [[ -f "$f" ]] || continue
    name=$(basename "$f")
    { printf '\x00'; cat "$f"; } >"$dir/file-$name"
    if pkl=$(unzip -Z1 "$f" 2>/dev/null | grep '/data.pkl$'); then
      { printf '\x01'; unzip -p "$f" "$pkl"; } >"$dir/pickle-$name"
    fi
  done
  if [[ -f "$fix/pickles/legacy.pt" ]]; then
    { printf '\x02'; tail -c +138 "$fix/pickles/legacy.pt"; } >"$dir/legacy-body"
  fi
}

# Seeds for the GGUF parser: an empty v3 file and one with a metadata string and a Q8_0 tensor.
seed_gguf_header() {
  local dir=$1
  printf 'GGUF\x03\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0' >"$dir/empty.gguf"
  { printf 'GGUF\x03\0\0\0\x01\0\0\0\0\0\0\0\x01\0\0\0\0\0\0\0'
    printf '\x14\0\0\0\0\0\0\0general.architecture\x08\0\0\0\x04\0\0\0\0\0\0\0flux'
    printf '\x01\0\0\0\0\0\0\0w\x01\0\0\0\x20\0\0\0\0\0\0\0\x08\0\0\0\0\0\0\0\0\0\0\0'
    head -c 27 /dev/zero; head -c 34 /dev/zero; } >"$dir/q8_0.gguf"
}

status=0
for target in "$root"/fuzz/*_fuzz.cpp; do
  name=$(basename "${target%_fuzz.cpp}")
  bin="$out/${name}_fuzz"
  "$cxx" "${common[@]}" -fsanitize=fuzzer "$target" "${objects[@]}" "${libs[@]}" -o "$bin"
  seeds="$out/seeds/$name"
  corpus="$root/fuzz/corpus-run/$name"  # grows across runs; ignored by git
  rm -rf "$seeds"
  mkdir -p "$seeds" "$corpus"
  if declare -F "seed_$name" >/dev/null; then "seed_$name" "$seeds"; fi
  echo "== $name: $(ls "$seeds" | wc -l) seeds, $seconds s"
  log="$out/$name.log"
  extra=()
  if [[ -f "$root/fuzz/$name.dict" ]]; then extra+=(-dict="$root/fuzz/$name.dict" -max_len=65536); fi
  if ! "$bin" "${extra[@]}" -max_total_time="$seconds" -print_final_stats=1 -timeout=10 -rss_limit_mb=2048 \
       -artifact_prefix="$out/artifacts/$name-" "$corpus" "$seeds" >"$log" 2>&1; then
    status=1
    echo "!! $name FAILED; see $log and $out/artifacts/" >&2
    tail -n 40 "$log" >&2
  fi
  grep -E '^(Done|stat::number_of_executed_units|stat::new_units_added|stat::peak_rss_mb)' "$log" || true
  grep -E 'cov: [0-9]+' "$log" | tail -n 1 || true
done
exit $status
