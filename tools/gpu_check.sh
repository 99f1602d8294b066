#!/usr/bin/env bash
# The CUDA backend's whole device check in one call on a lent GPU machine (see docs/cuda.md):
#   1. configure for sm_90 (H100/H200), Release, with none of the Debian -dev packages the GPU
#      image lacks (the core needs none of them; GoogleTest and Google Benchmark are switched off);
#   2. build fluxgen_gpu_tests and flux_gpu with 16 jobs;
#   3. run the GPU tests (every kernel against the CPU backend, the fixture models on the GPU);
#   4. run the FLUX.1-dev benchmark with whatever time is left of the budget.
# Everything lands in $OUT: nvidia-smi.txt, build.log, gpu_tests.log, flux_gpu.log, flux_gpu.md
# (the benchmark's tables) and results.md (card, commit, test summary and those tables: the text to
# paste into bench/RESULTS.md). Exits non-zero when a step failed.
# Needs only CMake >= 3.25, g++ (C++20), nvcc and the CUDA libraries (cudart, cuBLASLt): no
# GoogleTest (the GPU cases build as a plain program), no Google Benchmark, no Debian -dev package.
#
#   tools/gpu_check.sh                     the lent machine (its tool sets $OUT)
#   OUT=/tmp/o ARCH=89 tools/gpu_check.sh  any other GPU machine
#   BUDGET=480 (seconds for the whole script; the benchmark stops starting new configurations
#   past it), JOBS=16, BUILD=/tmp/fluxgen-gpu-build, BENCH_ARGS="--sizes 1024" to narrow it.
set -uo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
out="${OUT:-$root/gpu_check_out}"
build="${BUILD:-/tmp/fluxgen-gpu-build}"
arch="${ARCH:-90}"
jobs="${JOBS:-16}"
budget="${BUDGET:-480}"
mkdir -p "$out"
export PATH="$PATH:/usr/local/cuda/bin"  # nvcc where the CUDA installer puts it
start=$(date +%s)
elapsed() { echo $(( $(date +%s) - start )); }
say() { echo "[gpu_check $(elapsed)s] $*"; }
status=0

nvidia-smi --query-gpu=name,memory.total,driver_version,clocks.sm,clocks.max.sm --format=csv >"$out/nvidia-smi.txt" 2>&1
cat "$out/nvidia-smi.txt"

say "configure (sm_$arch, Release)"
if ! cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release -DFLUXGEN_CUDA_ARCHS="$arch" \
    -DCMAKE_DISABLE_FIND_PACKAGE_GTest=ON -DCMAKE_DISABLE_FIND_PACKAGE_benchmark=ON >"$out/build.log" 2>&1; then
  say "configure failed"; tail -30 "$out/build.log"; exit 1
fi
grep "fluxgen:" "$out/build.log"
grep -q "fluxgen: CUDA" "$out/build.log" || { say "nvcc or the CUDA toolkit was not found"; exit 1; }
say "build fluxgen_gpu_tests and flux_gpu ($jobs jobs)"
if ! cmake --build "$build" -j"$jobs" --target fluxgen_gpu_tests flux_gpu >>"$out/build.log" 2>&1; then
  say "build failed"; grep -E "error|Error" "$out/build.log" | head -40; exit 1
fi
grep -E "warning" "$out/build.log" | head -20

say "GPU tests"
"$build/tests/gpu/fluxgen_gpu_tests" 2>&1 | tee "$out/gpu_tests.log"
[ "${PIPESTATUS[0]}" -eq 0 ] || { status=1; say "GPU tests FAILED"; }
grep -E "FAIL" "$out/gpu_tests.log" | head -40

left=$(( budget - $(elapsed) ))
say "benchmark (${left}s left of the budget)"
# shellcheck disable=SC2086
"$build/bench/flux_gpu" --budget "$(( left > 60 ? left - 45 : 15 ))" --markdown "$out/flux_gpu.md" ${BENCH_ARGS:-} \
  2>&1 | tee "$out/flux_gpu.log"
[ "${PIPESTATUS[0]}" -eq 0 ] || { status=1; say "benchmark FAILED"; }
{
  echo "## $(head -2 "$out/nvidia-smi.txt" | tail -1 | cut -d, -f1) — tools/gpu_check.sh, $(date -u +%Y-%m-%d)"
  echo
  echo "Commit $(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown), sm_$arch." \
       "GPU tests: $(grep -E "GPU test cases passed|^SKIP" "$out/gpu_tests.log" | tail -1)"
  echo
  [ -f "$out/flux_gpu.md" ] && cat "$out/flux_gpu.md"
} >"$out/results.md"
say "done (status $status); paste $out/results.md into bench/RESULTS.md"
exit $status
