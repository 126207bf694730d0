#!/usr/bin/env bash
# Runs a command with a fresh sandbox on 127.0.0.1; its URL, token and store id are exported as
# SF_SANDBOX_URL, SF_SANDBOX_TOKEN and SF_SANDBOX_STORE. The sandbox is stopped afterwards.
#   scripts/with-sandbox.sh [sandbox options --] command args...
set -euo pipefail
cd "$(dirname "$0")/.."
opts=(--orders 60 --seed 7)
if [[ " $* " == *" -- "* ]]; then
  opts=()
  while [ "$1" != "--" ]; do opts+=("$1"); shift; done
  shift
fi
out=$(mktemp)
node js-adapter/bin/shoppingfeed-orders.js sandbox "${opts[@]}" >"$out" 2>/dev/null &
pid=$!
trap 'kill $pid 2>/dev/null || true; wait $pid 2>/dev/null || true; rm -f "$out"' EXIT
for _ in $(seq 100); do grep -q '^storeId: ' "$out" && break; sleep 0.1; done
SF_SANDBOX_URL=$(sed -n 's/^url: //p' "$out")
SF_SANDBOX_TOKEN=$(sed -n 's/^token: //p' "$out")
SF_SANDBOX_STORE=$(sed -n 's/^storeId: //p' "$out")
[ -n "$SF_SANDBOX_STORE" ] || { echo "with-sandbox: the sandbox did not start" >&2; exit 1; }
export SF_SANDBOX_URL SF_SANDBOX_TOKEN SF_SANDBOX_STORE
"$@"
