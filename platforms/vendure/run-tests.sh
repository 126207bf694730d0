#!/usr/bin/env bash
# A Vendure 3 shop with shoppingfeed-orders installed from its packed tarball (as a shop installs it),
# booted on sql.js by @vendure/testing, against the local Shoppingfeed sandbox.
#   platforms/vendure/run-tests.sh            (after `make build`: the tarball carries js-adapter/wasm/)
#   SFO_TARBALL=/path/pkg.tgz run-tests.sh    (test a given tarball instead of packing js-adapter)
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
cd "$here"
export npm_config_audit=false npm_config_fund=false npm_config_update_notifier=false
# No network but the registries: Vendure's telemetry stays off (it is off under CI=true too).
export VENDURE_DISABLE_TELEMETRY=true

secs() { date +%s.%N; }
took() { awk -v a="$1" -v b="$(secs)" 'BEGIN { printf "%.1f", b - a }'; }

# 1. The shop's own dependencies, from its lockfile (skipped when node_modules was installed from this lockfile).
t=$(secs)
stamp=node_modules/.sfo-lock-sha256
want="$(sha256sum package-lock.json | cut -d' ' -f1)"
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  npm ci --loglevel=error
  echo "$want" > "$stamp"
  echo "# install (npm ci): $(took "$t") s"
else
  echo "# install: node_modules up to date"
fi

# 2. The package, packed and installed as a shop would get it.
t=$(secs)
pack_dir="$(mktemp -d)"
trap 'rm -rf "$pack_dir"' EXIT
tarball="${SFO_TARBALL:-}"
if [ -z "$tarball" ]; then
  if [ ! -f "$root/js-adapter/wasm/shoppingfeed_orders_bg.wasm" ]; then
    echo "js-adapter/wasm/ is not built: run \`make build\` first" >&2
    exit 1
  fi
  (cd "$root/js-adapter" && npm pack --silent --pack-destination "$pack_dir" >/dev/null)
  tarball="$(ls "$pack_dir"/*.tgz)"
fi
if ! tar -tzf "$tarball" | grep -x 'package/vendure/index.cjs' >/dev/null; then
  echo "$tarball has no vendure/: js-adapter/package.json must list \"vendure/\" in files and export ./vendure" >&2
  exit 1
fi
# --omit=optional: better-sqlite3 (the CLI's store) is not needed inside Vendure.
npm install --no-save --omit=optional --loglevel=error "$tarball"
echo "# package: $(basename "$tarball") installed in $(took "$t") s"

# 3. The tests (node's test runner; each file boots its own Vendure server on a fresh sql.js database).
node --test --test-concurrency=1 test/*.test.mjs
