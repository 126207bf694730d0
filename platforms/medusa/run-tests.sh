#!/usr/bin/env bash
# A Medusa v2 shop with shoppingfeed-orders installed from its packed tarball (as a shop installs it), on a
# PostgreSQL this script starts (temporary data directory, 127.0.0.1, stopped on exit), booted with
# `medusa start` by the tests, against the local Shoppingfeed sandbox.
#   platforms/medusa/run-tests.sh            (after `make build`: the tarball carries js-adapter/wasm/)
#   SFO_TARBALL=/path/pkg.tgz run-tests.sh    (test a given tarball instead of packing js-adapter)
#   SFO_KEEP_LOG=1 run-tests.sh               (keep Medusa's log as $TMPDIR/medusa-tests.log)
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
cd "$here"
export npm_config_audit=false npm_config_fund=false npm_config_update_notifier=false
# No network but the registries: Medusa's telemetry off, and pointed at a closed loopback port should anything
# still try to flush; CI=true also keeps its first-run notice quiet. NODE_ENV=production: no ts-node attempt.
export MEDUSA_DISABLE_TELEMETRY=true MEDUSA_TELEMETRY_HOST=http://127.0.0.1:9 CI="${CI:-true}" NODE_ENV=production

secs() { date +%s.%N; }
took() { awk -v a="$1" -v b="$(secs)" 'BEGIN { printf "%.1f", b - a }'; }
t_all=$(secs)

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
tmp="$(mktemp -d)"
chmod 755 "$tmp"
pg_bin=""
pg_data="$tmp/pgdata"
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
cleanup() {
  if [ -n "$pg_bin" ] && [ -f "$pg_data/postmaster.pid" ]; then
    as_pg "$pg_bin/pg_ctl" -D "$pg_data" -m immediate -w stop >/dev/null 2>&1 || true
  fi
  rm -rf "$tmp"
}
trap cleanup EXIT
tarball="${SFO_TARBALL:-}"
if [ -z "$tarball" ]; then
  if [ ! -f "$root/js-adapter/wasm/shoppingfeed_orders_bg.wasm" ]; then
    echo "js-adapter/wasm/ is not built: run \`make build\` first" >&2
    exit 1
  fi
  mkdir -p "$tmp/pack"
  (cd "$root/js-adapter" && npm pack --silent --pack-destination "$tmp/pack" >/dev/null)
  tarball="$(ls "$tmp"/pack/*.tgz)"
fi
if ! tar -tzf "$tarball" | grep -x 'package/medusa/.medusa/server/src/modules/shoppingfeed/index.js' >/dev/null; then
  echo "$tarball has no medusa/: js-adapter/package.json must list \"medusa/\" in files and export ./medusa" >&2
  exit 1
fi
# --omit=optional: better-sqlite3 (the CLI's store) is not needed inside Medusa.
npm install --no-save --omit=optional --loglevel=error "$tarball"
echo "# package: $(basename "$tarball") installed in $(took "$t") s"

# 3. PostgreSQL: the machine's binaries (Debian's packages when missing), a throw-away cluster on 127.0.0.1.
t=$(secs)
find_pg() {
  local d
  for d in "$(dirname "$(command -v pg_ctl 2>/dev/null || echo /nonexistent/x)")" /usr/local/bin $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
    if [ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ] && [ -x "$d/postgres" ]; then
      dirname "$(readlink -f "$d/pg_ctl")"
      return 0
    fi
  done
  return 1
}
if ! pg_bin="$(find_pg)"; then
  if [ "$(id -u)" != 0 ]; then
    echo "PostgreSQL is not installed: run \`sudo apt-get install -y postgresql\`" >&2
    exit 1
  fi
  echo "# installing PostgreSQL from Debian's packages"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  apt-get install -y -qq --no-install-recommends postgresql >/dev/null
  pg_bin="$(find_pg)"
fi
if [ "$(id -u)" = 0 ]; then chown postgres "$tmp"; fi
as_pg "$pg_bin/initdb" -D "$pg_data" -U postgres -A trust -E UTF8 --locale=C.UTF-8 --no-sync >"$tmp/initdb.log" 2>&1 \
  || { cat "$tmp/initdb.log" >&2; exit 1; }
pg_port="$(node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')"
as_pg "$pg_bin/pg_ctl" -D "$pg_data" -l "$tmp/postgres.log" -w -t 30 \
  -o "-p $pg_port -k $tmp -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off" start >/dev/null \
  || { cat "$tmp/postgres.log" >&2; exit 1; }
export DATABASE_URL="postgres://postgres@127.0.0.1:$pg_port/medusa"
node -e 'const { Client } = require("pg"); const c = new Client({ connectionString: process.argv[1] });
  c.connect().then(() => c.query("create database medusa")).then(() => c.end(), (e) => { console.error(e.message); process.exit(1); })' \
  "postgres://postgres@127.0.0.1:$pg_port/postgres"
echo "# postgres $("$pg_bin/postgres" --version | awk '{print $3}') on 127.0.0.1:$pg_port: $(took "$t") s"

# 4. Medusa's schema (its modules and the plugin's `shoppingfeed` module) and an admin user.
t=$(secs)
npx --no-install medusa db:migrate >"$tmp/migrate.log" 2>&1 || { tail -50 "$tmp/migrate.log" >&2; exit 1; }
grep -q 'MODULE: shoppingfeed' "$tmp/migrate.log" || { echo "the plugin's migrations did not run" >&2; tail -30 "$tmp/migrate.log" >&2; exit 1; }
echo "# medusa db:migrate: $(took "$t") s"
t=$(secs)
export MEDUSA_ADMIN_EMAIL=admin@shop.test MEDUSA_ADMIN_PASSWORD="test-$RANDOM-$RANDOM"
npx --no-install medusa user -e "$MEDUSA_ADMIN_EMAIL" -p "$MEDUSA_ADMIN_PASSWORD" >"$tmp/user.log" 2>&1 || { tail -30 "$tmp/user.log" >&2; exit 1; }
echo "# medusa user: $(took "$t") s"

# 5. The tests (node's test runner; the test file starts the sandbox and `medusa start`, logging to $SFO_LOG_DIR).
export SFO_LOG_DIR="$tmp/logs"
mkdir -p "$SFO_LOG_DIR"
status=0
node --test --test-concurrency=1 test/*.test.mjs || status=$?
if [ "$status" != 0 ] && [ -f "$SFO_LOG_DIR/medusa.log" ]; then
  echo "# the end of Medusa's log:"
  grep -v '"level":"http"' "$SFO_LOG_DIR/medusa.log" | tail -40 | sed 's/^/#   /'
fi
if [ -n "${SFO_KEEP_LOG:-}" ] && [ -f "$SFO_LOG_DIR/medusa.log" ]; then
  cp "$SFO_LOG_DIR/medusa.log" "${TMPDIR:-/tmp}/medusa-tests.log" && echo "# Medusa's log kept: ${TMPDIR:-/tmp}/medusa-tests.log"
fi
echo "# medusa tests: $(took "$t_all") s in all"
exit $status
