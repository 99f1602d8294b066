#!/usr/bin/env bash
# Copies the few Debian headers the lent GPU machine lacks into .device-deps/ (git-ignored), so
# that tools/gpu_check.sh can build the `fluxgen` program there too: CLI11 (header-only) and
# zlib's headers (PNG output; the machine has libz.so.1 itself). Run it here before the device
# call and carry the folder: run(command="tools/gpu_check.sh", carry=[".device-deps"]).
# Nothing is committed: these are this machine's Debian packages, staged for one run.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
dest="$root/.device-deps/include"
rm -rf "$root/.device-deps"
mkdir -p "$dest"
[ -f /usr/include/CLI/CLI.hpp ] || { echo "stage_device_deps: CLI11 missing (apt-get install libcli11-dev)" >&2; exit 1; }
cp -r /usr/include/CLI "$dest/"
cp /usr/include/zlib.h "$dest/"
cp "$(ls /usr/include/zconf.h /usr/include/*-linux-gnu/zconf.h 2>/dev/null | head -1)" "$dest/"
echo "staged: $(cd "$dest" && ls | tr '\n' ' ')(in $root/.device-deps)"
