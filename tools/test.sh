#!/usr/bin/env bash
# Installs what is missing, builds, runs the whole test suite, then each fuzz target briefly.
set -euo pipefail
cd "$(dirname "$0")/.."
tools/install_deps.sh
tools/build.sh build
ctest --test-dir build --output-on-failure -j"$(nproc)"
if [ -x fuzz/run_fuzzers.sh ] && command -v clang++ >/dev/null; then
  fuzz/run_fuzzers.sh "${FLUXGEN_FUZZ_SECONDS:-20}"
fi
echo "fluxgen: all tests passed"
