#!/usr/bin/env bash
# wasm-bindgen-test suites in Node and in headless Chromium, each against its own sandbox.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
export CHROMEDRIVER="${CHROMEDRIVER:-/usr/bin/chromedriver}"
unset GECKODRIVER
echo "== wasm tests in Node"
scripts/with-sandbox.sh cargo test --locked --target wasm32-unknown-unknown --test wasm_node
echo "== wasm tests in headless Chromium"
scripts/with-sandbox.sh cargo test --locked --target wasm32-unknown-unknown --test wasm_browser
