#!/usr/bin/env bash
# Copies the few Debian headers the lent GPU machine lacks into .device-deps/ (git-ignored), so
# that tools/gpu_check.sh can build the `fluxgen` program there too: CLI11 (header-only), zlib's
# headers (the machine has libz.so.1 itself), libpng's (PNG output) and OpenSSL's (SHA-256 of
# model files), with copies of libpng16.so.16 and libcrypto.so.3 for a machine that has none. Run it here before the device
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
[ -f /usr/include/openssl/evp.h ] || { echo "stage_device_deps: OpenSSL headers missing (apt-get install libssl-dev)" >&2; exit 1; }
# Debian splits OpenSSL's headers: the portable ones, and configuration.h/opensslconf.h per architecture.
mkdir -p "$dest/openssl" "$root/.device-deps/lib"
cp /usr/include/openssl/*.h "$dest/openssl/"
cp /usr/include/*-linux-gnu/openssl/*.h "$dest/openssl/" 2>/dev/null || true
cp -L "$(ldconfig -p | sed -n 's/.*libcrypto\.so\.3 (libc6,x86-64) => //p' | head -1)" "$root/.device-deps/lib/"
[ -f /usr/include/png.h ] || { echo "stage_device_deps: libpng headers missing (apt-get install libpng-dev)" >&2; exit 1; }
cp -L /usr/include/png.h /usr/include/pngconf.h /usr/include/pnglibconf.h "$dest/"
cp -L "$(ldconfig -p | sed -n 's/.*libpng16\.so\.16 (libc6,x86-64) => //p' | head -1)" "$root/.device-deps/lib/"
echo "staged: $(cd "$dest" && ls | tr '\n' ' ')(in $root/.device-deps)"
