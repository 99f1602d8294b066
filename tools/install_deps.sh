#!/usr/bin/env bash
# Installs the Debian packages fluxgen builds and tests with, skipping those already present, then
# the browser test's npm packages (tests/browser: puppeteer-core, no browser download; the test
# drives Debian's chromium).
set -euo pipefail
packages=(
  build-essential cmake pkg-config
  libgtest-dev libgmock-dev libbenchmark-dev
  libdnnl-dev libopenblas-dev libpng-dev libjpeg-dev libwebp-dev zlib1g-dev libssl-dev
  libsentencepiece-dev libcli11-dev libcpp-httplib-dev libhiredis-dev redis-server
  clang libclang-rt-14-dev curl python3
  chromium
)
# Node.js for the browser test, from Debian unless a node with npm is already installed (such as
# NodeSource's nodejs, which carries npm and conflicts with Debian's npm package).
command -v npm >/dev/null || packages+=(nodejs npm)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -ne 0 ]; then
  echo "fluxgen: installing Debian packages: ${missing[*]}"
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  export DEBIAN_FRONTEND=noninteractive
  if ! $SUDO apt-get install -y --no-install-recommends "${missing[@]}"; then
    $SUDO apt-get update
    $SUDO apt-get install -y --no-install-recommends "${missing[@]}"
  fi
fi

# The browser test's packages, as the lock file pins them, when they are missing or older than it.
browser_tests="$(dirname "$0")/../tests/browser"
if [ ! -f "$browser_tests/node_modules/.package-lock.json" ] ||
   [ "$browser_tests/package-lock.json" -nt "$browser_tests/node_modules/.package-lock.json" ]; then
  echo "fluxgen: installing the browser test's npm packages (tests/browser)"
  (cd "$browser_tests" && PUPPETEER_SKIP_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error)
fi
