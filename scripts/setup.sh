#!/usr/bin/env bash
# Installs what the build and the tests need on a fresh machine; every step is skipped when done.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
t0=$(date +%s)

rustup target add wasm32-unknown-unknown >/dev/null 2>&1 || rustup target add wasm32-unknown-unknown

# The CLI must be exactly the wasm-bindgen version of Cargo.lock. Not --locked: the registry served
# here lacks a pinned dependency of the CLI (see docs/toolchain.md).
want=$(awk '/^name = "wasm-bindgen"$/{getline; gsub(/"/,"",$3); print $3; exit}' Cargo.lock)
have=$(wasm-bindgen --version 2>/dev/null | awk '{print $2}' || true)
if [ "$have" != "$want" ] || ! command -v wasm-bindgen-test-runner >/dev/null; then
  echo "setup: installing wasm-bindgen-cli $want (a few minutes, once)"
  cargo install -q wasm-bindgen-cli --version "$want"
fi

if ! command -v chromium >/dev/null || [ ! -x /usr/bin/chromedriver ]; then
  echo "setup: installing chromium and chromium-driver from apt"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null
fi

# npm packages (better-sqlite3 builds from source here: ~1 min once); again whenever the lock changes.
if [ js-adapter/package-lock.json -nt js-adapter/node_modules/.package-lock.json ]; then
  echo "setup: npm ci in js-adapter"
  (cd js-adapter && npm ci --no-audit --no-fund --loglevel=error)
fi
echo "setup: ready in $(( $(date +%s) - t0 )) s (wasm-bindgen $want, $(chromium --version 2>/dev/null | head -1))"
