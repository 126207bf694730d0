#!/usr/bin/env bash
# Every test layer, in the order a failure is cheapest to read. Each runner prints its own result line.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
t0=$(date +%s)
step() { printf '\n== %s\n' "$*"; }

step "native Rust tests (cargo test)"
cargo test --locked
step "rustfmt, clippy native and wasm32 (-D warnings)"
cargo fmt --check
cargo clippy --locked --all-targets -- -D warnings
cargo clippy --locked --target wasm32-unknown-unknown --lib --tests -- -D warnings
step "the core stays pure: no wasm/JS imports outside src/wasm"
if grep -rlE 'wasm_bindgen|js_sys|web_sys|gloo' src --exclude-dir=wasm; then echo "found above"; exit 1; fi
echo "ok"
scripts/test-wasm.sh
step "TypeScript declarations (tsc --noEmit --strict)"
(cd js-adapter && npx tsc -p tsconfig.json) && echo ok
step "JS suites (node:test): built packages, sandbox, stores, CLI"
node --test js-adapter/test/
step "Vendure 3 shop with the plugin from the packed tarball"
platforms/vendure/run-tests.sh
step "Medusa v2 shop with the plugin from the packed tarball (PostgreSQL started here)"
platforms/medusa/run-tests.sh
printf '\nall test layers passed in %d s\n' "$(( $(date +%s) - t0 ))"
