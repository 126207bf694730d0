#!/usr/bin/env bash
# Release Wasm build and the two binding targets; prints raw and gzip sizes.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
t0=$(date +%s%N)
cargo build --locked --release --target wasm32-unknown-unknown
wasm=target/wasm32-unknown-unknown/release/shoppingfeed_orders.wasm
rm -rf pkg
# The name section is debugging data (~10 % of the module); no wasm-opt from Debian (breaks the module).
for target in nodejs web; do
  wasm-bindgen --remove-name-section --remove-producers-section --target "$target" --out-dir "pkg/$target" "$wasm"
done
# pkg/nodejs is CommonJS; tell Node so even inside an ESM package. The npm package carries its own copy.
echo '{"type":"commonjs"}' > pkg/nodejs/package.json
rm -rf js-adapter/wasm && cp -r pkg/nodejs js-adapter/wasm
# The dashboard page loads the web build from its own origin.
rm -rf www/pkg && mkdir -p www && cp -r pkg/web www/pkg
rm -rf js-adapter/www && cp -r www js-adapter/www
raw=$(stat -c %s pkg/web/shoppingfeed_orders_bg.wasm)
gz=$(gzip -9c pkg/web/shoppingfeed_orders_bg.wasm | wc -c)
js=$(gzip -9c pkg/web/shoppingfeed_orders.js | wc -c)
awk -v ms="$(( ($(date +%s%N) - t0) / 1000000 ))" -v raw="$raw" -v gz="$gz" -v js="$js" 'BEGIN {
  printf "build: %.1f s; shoppingfeed_orders_bg.wasm %d bytes raw, %d bytes gzip (%.1f KB); web glue %d bytes gzip\n", ms/1000, raw, gz, gz/1024, js }'
