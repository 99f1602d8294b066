#!/usr/bin/env bash
# The CUDA backend's whole device check in one call on a lent GPU machine (see docs/cuda.md):
#   1. configure for sm_90 (H100/H200), Release, with none of the Debian -dev packages the GPU
#      image lacks (the core needs none of them; GoogleTest and Google Benchmark are switched off);
#   2. build fluxgen_gpu_tests and flux_gpu with 16 jobs;
#   3. run the GPU tests (every kernel against the CPU backend, the fixture models on the GPU);
#   4. run the FLUX.1-dev transformer benchmark (bench/flux_gpu) for at most BENCH_SECONDS;
#   5. the product path: write FLUX.1-dev's models folder with random weights (bf16 transformer,
#      fp16 CLIP-L and T5-XXL, fp32 autoencoder; bench/random_models) and run `fluxgen generate` at
#      1024x1024 for bf16 / float8-e4m3fn / bnb-nf4 under budgets of the whole card, 12 GiB and
#      6 GiB, each printing s/step, end-to-end seconds and peak VRAM (generate --timings); bf16 on
#      the whole card also with --cuda-graphs off, the baseline of the graphs' gain.
# Everything lands in $OUT: nvidia-smi.txt, build.log, gpu_tests.log, flux_gpu.log, flux_gpu.md
# (the benchmark's tables), generate_*.json/.log, generate.md (the product path's table) and
# results.md (card, commit, test summary and those tables: the text to paste into
# bench/RESULTS.md). Exits non-zero when a step failed.
# Needs only CMake >= 3.25, g++ (C++20), nvcc and the CUDA libraries (cudart, cuBLASLt): no
# GoogleTest (the GPU cases build as a plain program), no Google Benchmark, no Debian -dev package
# (OpenSSL's headers, which the core needs for model hashes, come staged in .device-deps).
#
#   tools/stage_device_deps.sh here, then on the lent machine (its tool sets $OUT, carry
#   [".device-deps"] so that the `fluxgen` program builds there):
#   tools/gpu_check.sh
#   OUT=/tmp/o ARCH=89 tools/gpu_check.sh  any other GPU machine
#   BUDGET=480 (seconds for the whole script; the benchmark and the generate cases stop starting
#   new configurations past it), BENCH_SECONDS=120, JOBS=16, BUILD=/tmp/fluxgen-gpu-build,
#   BENCH_ARGS="--sizes 1024" to narrow the benchmark, STEPS=8 (generate's steps per case),
#   MODELS=/tmp/fluxgen-random-models (kept between runs on the same machine).
set -uo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
out="${OUT:-$root/gpu_check_out}"
build="${BUILD:-/tmp/fluxgen-gpu-build}"
arch="${ARCH:-90}"
jobs="${JOBS:-16}"
budget="${BUDGET:-480}"
bench_seconds="${BENCH_SECONDS:-120}"
steps="${STEPS:-8}"
models="${MODELS:-/tmp/fluxgen-random-models}"
mkdir -p "$out"
export PATH="$PATH:/usr/local/cuda/bin"  # nvcc where the CUDA installer puts it
start=$(date +%s)
elapsed() { echo $(( $(date +%s) - start )); }
say() { echo "[gpu_check $(elapsed)s] $*"; }
# A field of generate --timings' JSON (one "key": value per line), without python on the machine.
json_field() { sed -n -e "s/^ *\"$2\": *\"\(.*\)\",\{0,1\}$/\1/p" -e "s/^ *\"$2\": *\([^\",]*\),\{0,1\}$/\1/p" "$1" | head -1; }
status=0

nvidia-smi --query-gpu=name,memory.total,driver_version,clocks.sm,clocks.max.sm --format=csv >"$out/nvidia-smi.txt" 2>&1
cat "$out/nvidia-smi.txt"

# Headers tools/stage_device_deps.sh staged for this machine (CLI11 for the fluxgen program, zlib's
# and libpng's for its PNG output, OpenSSL's for model hashes), used only where the machine has
# none of its own.
staged=()
deps="$root/.device-deps/include"
if [ -d "$deps" ]; then
  [ -f /usr/include/CLI/CLI.hpp ] || staged+=(-DFLUXGEN_CLI11_INCLUDE="$deps")
  libz=$(ldconfig -p 2>/dev/null | sed -n 's/.*libz\.so\.1 (libc6,x86-64) => //p' | head -1)
  if [ ! -f /usr/include/zlib.h ] && [ -n "$libz" ]; then staged+=(-DZLIB_INCLUDE_DIR="$deps" -DZLIB_LIBRARY="$libz"); fi
  # OpenSSL's libcrypto (required): the machine's own libcrypto.so.3 where it has one, else the staged copy.
  if [ ! -f /usr/include/openssl/evp.h ] && [ -f "$deps/openssl/evp.h" ]; then
    libcrypto=$(ldconfig -p 2>/dev/null | sed -n 's/.*libcrypto\.so\.3 (libc6,x86-64) => //p' | head -1)
    [ -n "$libcrypto" ] || libcrypto="$root/.device-deps/lib/libcrypto.so.3"
    staged+=(-DOPENSSL_INCLUDE_DIR="$deps" -DOPENSSL_CRYPTO_LIBRARY="$libcrypto")
  fi
  # libpng for the PNG output, likewise.
  if [ ! -f /usr/include/png.h ] && [ -f "$deps/png.h" ]; then
    libpng=$(ldconfig -p 2>/dev/null | sed -n 's/.*libpng16\.so\.16 (libc6,x86-64) => //p' | head -1)
    [ -n "$libpng" ] || libpng="$root/.device-deps/lib/libpng16.so.16"
    staged+=(-DPNG_PNG_INCLUDE_DIR="$deps" -DPNG_LIBRARY_RELEASE="$libpng")
  fi
fi
say "configure (sm_$arch, Release) ${staged[*]}"
if ! cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release -DFLUXGEN_CUDA_ARCHS="$arch" "${staged[@]}" \
    -DCMAKE_DISABLE_FIND_PACKAGE_GTest=ON -DCMAKE_DISABLE_FIND_PACKAGE_benchmark=ON >"$out/build.log" 2>&1; then
  say "configure failed"; tail -30 "$out/build.log"; exit 1
fi
grep "fluxgen:" "$out/build.log"
grep -q "fluxgen: CUDA" "$out/build.log" || { say "nvcc or the CUDA toolkit was not found"; exit 1; }
targets=(fluxgen_gpu_tests flux_gpu flux_random_models)
have_cli=1
if grep -q "CLI11 not found" "$out/build.log"; then
  have_cli=0; say "no CLI11 (run tools/stage_device_deps.sh and carry .device-deps): the generate cases are skipped"
else
  targets+=(fluxgen)
fi
say "build ${targets[*]} ($jobs jobs)"
if ! cmake --build "$build" -j"$jobs" --target "${targets[@]}" >>"$out/build.log" 2>&1; then
  say "build failed"; grep -E "error|Error" "$out/build.log" | head -40; exit 1
fi
grep -E "warning" "$out/build.log" | head -20

say "GPU tests"
"$build/tests/gpu/fluxgen_gpu_tests" 2>&1 | tee "$out/gpu_tests.log"
[ "${PIPESTATUS[0]}" -eq 0 ] || { status=1; say "GPU tests FAILED"; }
grep -E "FAIL" "$out/gpu_tests.log" | head -40

# The models folder is written while the benchmark runs (CPU and disk beside the GPU's work).
say "writing the random FLUX.1-dev models folder to $models (background)"
"$build/bench/flux_random_models" --out "$models" >"$out/random_models.log" 2>&1 &
models_pid=$!

left=$(( budget - $(elapsed) ))
bench_budget=$(( left / 3 < bench_seconds ? left / 3 : bench_seconds ))
say "benchmark (${bench_budget}s of the ${left}s left)"
# shellcheck disable=SC2086
"$build/bench/flux_gpu" --budget "$(( bench_budget > 15 ? bench_budget : 15 ))" --markdown "$out/flux_gpu.md" ${BENCH_ARGS:-} \
  2>&1 | tee "$out/flux_gpu.log"
[ "${PIPESTATUS[0]}" -eq 0 ] || { status=1; say "benchmark FAILED"; }

say "waiting for the models folder"
if ! wait "$models_pid"; then status=1; say "flux_random_models FAILED"; cat "$out/random_models.log"; fi
cat "$out/random_models.log"
# One `fluxgen generate` per case, in order of importance; each stops being started when fewer
# than 40 s of the budget are left. A case's JSON has s/step, seconds in all and peak VRAM.
{
  echo "| storage | VRAM budget | CUDA graphs | s/step | first step after (s) | end to end (s) | peak VRAM | transformer plan |"
  echo "|---|---|---|---|---|---|---|---|"
} >"$out/generate.md"
[ "$have_cli" = 1 ] || cases_skipped=1
# "bf16 0 off" is the baseline of the CUDA graphs' gain: the same case with every kernel launched.
for case in "bnb-nf4 0 on" "float8-e4m3fn 0 on" "bf16 0 on" "bf16 0 off" "bnb-nf4 12 on" "float8-e4m3fn 12 on" \
    "bnb-nf4 6 on" "bf16 12 on"; do
  set -- $case
  storage=$1 vram=$2 graphs=$3
  if [ -n "${cases_skipped:-}" ] || [ $(( budget - $(elapsed) )) -lt 40 ]; then say "generate $storage budget $vram: skipped (time)"; continue; fi
  name="generate_${storage}_${vram}_graphs_${graphs}"
  say "generate --storage $storage --vram-budget ${vram} (0 = the whole card) --cuda-graphs $graphs"
  budget_flag=()
  [ "$vram" != 0 ] && budget_flag=(--vram-budget "$vram")
  if "$build/fluxgen" --cuda-graphs "$graphs" generate --models-dir "$models" --prompt "a portrait photo of a woman in a garden, natural light" \
      --width 1024 --height 1024 --steps "$steps" --seed 1 --storage "$storage" --device cuda "${budget_flag[@]}" \
      --output "$out/images_$name" --timings "$out/$name.json" >"$out/$name.log" 2>&1; then
    j="$out/$name.json"
    label=$([ "$vram" = 0 ] && echo "whole card" || echo "$vram GiB")
    peak=$(json_field "$j" peak_vram_bytes)
    printf '| %s | %s | %s | %.3f | %.1f | %.1f | %.2f GiB | %s |\n' "$storage" "$label" "$graphs" "$(json_field "$j" seconds_per_step)" \
      "$(json_field "$j" first_step_after_s)" "$(json_field "$j" total_s)" "$(awk "BEGIN{print $peak / 1073741824}")" \
      "$(json_field "$j" transformer_plan | tr '|' '/')" >>"$out/generate.md"
  else
    status=1
    say "$name FAILED"
    echo "| $storage | $vram | $graphs | failed: $(tail -1 "$out/$name.log" | tr '|' '/') | | | | |" >>"$out/generate.md"
  fi
  tail -3 "$out/$name.log"
done
{
  echo "## $(head -2 "$out/nvidia-smi.txt" | tail -1 | cut -d, -f1) — tools/gpu_check.sh, $(date -u +%Y-%m-%d)"
  echo
  echo "Commit $(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown), sm_$arch." \
       "GPU tests: $(grep -E "GPU test cases passed|^SKIP" "$out/gpu_tests.log" | tail -1)"
  echo
  [ -f "$out/flux_gpu.md" ] && cat "$out/flux_gpu.md"
  echo
  echo "### fluxgen generate, 1024x1024, $steps steps, FLUX.1-dev + T5-XXL fp16 + CLIP-L + ae with random weights"
  echo
  cat "$out/generate.md"
} >"$out/results.md"
say "done (status $status); paste $out/results.md into bench/RESULTS.md"
exit $status
