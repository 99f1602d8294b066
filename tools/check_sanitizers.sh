#!/usr/bin/env bash
# Builds fluxgen and its test suite with AddressSanitizer + UndefinedBehaviorSanitizer (Debug, in
# build-sanitize/) and runs every test, leak checking on. Any sanitizer report fails the run: UBSan
# halts on the first error, ASan/LSan exit non-zero. Extra arguments go to the test program (e.g.
# --gtest_filter=Safetensors*).
#
#   tools/check_sanitizers.sh
#
# The CUDA backend is left out of this build: the test suite never needs a GPU, and ASan's
# shadow memory and the CUDA driver do not mix.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
build="${FLUXGEN_SANITIZE_BUILD:-$root/build-sanitize}"
jobs="${JOBS:-$(nproc)}"

mkdir -p "$build"
cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Debug -DFLUXGEN_SANITIZE=ON -DFLUXGEN_CUDA=OFF -DFLUXGEN_BENCH=OFF \
  >"$build/configure.log" 2>&1 || { cat "$build/configure.log" >&2; exit 1; }
cmake --build "$build" -j "$jobs"

export ASAN_OPTIONS="detect_leaks=1:check_initialization_order=1:${ASAN_OPTIONS:-}"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1:${UBSAN_OPTIONS:-}"
# Known leaks of third-party runtimes (not fluxgen's), each explained in the file.
export LSAN_OPTIONS="suppressions=$root/tests/sanitizer/lsan.supp:print_suppressions=0:${LSAN_OPTIONS:-}"
# OpenMP and OpenBLAS start their worker threads lazily; two keep the run close to CI machines.
export OMP_NUM_THREADS="${OMP_NUM_THREADS:-2}"
export OPENBLAS_NUM_THREADS="${OPENBLAS_NUM_THREADS:-2}"

"$build/tests/fluxgen_tests" "$@"
echo "check_sanitizers.sh: the test suite is clean under ASan + UBSan + LSan"
