#!/usr/bin/env bash
# Redis and PostgreSQL for the scale-out tests and bench: throw-away instances on 127.0.0.1, in a temp
# folder, on free ports; installed from apt when missing.
#
#   scripts/services.sh start [redis] [postgres]   (both when none named)
#       prints, one per line (eval-able):  SFO_SERVICES_DIR=…  REDIS_URL=redis://127.0.0.1:P
#                                          PG_URL=postgres://sfo@127.0.0.1:P/postgres
#   scripts/services.sh stop DIR           stops what `start` started in DIR and deletes DIR
#
# Nothing here touches a Redis or PostgreSQL the machine already runs: the instances have their own
# data folder, port and socket folder. Tuned for tests: no fsync, no persistence.
set -euo pipefail

log() { printf 'services: %s\n' "$*" >&2; }
die() { log "$*"; exit 1; }

apt_install() {
  [ "$(id -u)" = 0 ] || die "$1 is missing and installing it needs root (apt-get install $*)"
  log "installing $* from apt (once)"
  if [ -z "$(find /var/lib/apt/lists -maxdepth 1 -name '*Packages*' -print -quit 2>/dev/null)" ]; then
    apt-get update -qq >&2
  fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >&2 \
    || { apt-get update -qq >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >&2; }
}

free_port() {
  node -e "const s=require('net').createServer();s.listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})"
}

# The folder holding initdb, pg_ctl and postgres: /usr/local/bin, else the newest /usr/lib/postgresql/*/bin.
pg_bindir() {
  if [ -x /usr/local/bin/initdb ] && [ -x /usr/local/bin/pg_ctl ] && [ -x /usr/local/bin/postgres ]; then
    echo /usr/local/bin; return
  fi
  local d
  d=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1 || true)
  if [ -n "$d" ] && [ -x "$d/initdb" ]; then echo "$d"; return; fi
  if command -v initdb >/dev/null && command -v pg_ctl >/dev/null; then dirname "$(command -v initdb)"; return; fi
  return 1
}

redis_bin() {
  for b in /usr/local/bin/redis-server /usr/bin/redis-server "$(command -v redis-server 2>/dev/null || true)"; do
    [ -n "$b" ] && [ -x "$b" ] && { echo "$b"; return; }
  done
  return 1
}

# initdb and postgres refuse to run as root: run them as `postgres` (created by Debian's package),
# else as a system user made for this.
as_pg() {
  if [ "$(id -u)" != 0 ]; then "$@"; return; fi
  if ! id postgres >/dev/null 2>&1; then
    useradd --system --no-create-home --shell /usr/sbin/nologin postgres >&2
  fi
  if command -v runuser >/dev/null; then runuser -u postgres -- "$@"; else su -s /bin/sh postgres -c "$(printf '%q ' "$@")"; fi
}

start_redis() {
  local dir=$1 bin port
  bin=$(redis_bin) || { apt_install redis-server; bin=$(redis_bin) || die "redis-server not found after install"; }
  port=$(free_port)
  "$bin" --port "$port" --bind 127.0.0.1 --dir "$dir" --save '' --appendonly no --daemonize yes \
    --pidfile "$dir/redis.pid" --logfile "$dir/redis.log" --maxmemory-policy noeviction >&2
  for _ in $(seq 100); do
    if [ -s "$dir/redis.pid" ] && (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
      echo "$port" >"$dir/redis.port"
      echo "REDIS_URL=redis://127.0.0.1:$port"
      return
    fi
    sleep 0.05
  done
  cat "$dir/redis.log" >&2 || true
  die "redis-server did not start"
}

start_postgres() {
  local dir=$1 bindir port
  bindir=$(pg_bindir) || { apt_install postgresql; bindir=$(pg_bindir) || die "initdb not found after install"; }
  port=$(free_port)
  # pg/ (data) and pgrun/ (socket, log) belong to the user postgres runs as.
  mkdir -p "$dir/pg" "$dir/pgrun"
  chmod 755 "$dir"
  if [ "$(id -u)" = 0 ]; then as_pg true; chown postgres "$dir/pg" "$dir/pgrun"; fi
  chmod 700 "$dir/pg"
  as_pg "$bindir/initdb" -D "$dir/pg" -U sfo --auth=trust --encoding=UTF8 --locale=C --no-sync >"$dir/initdb.log" 2>&1 \
    || { cat "$dir/initdb.log" >&2; die "initdb failed"; }
  as_pg "$bindir/pg_ctl" -D "$dir/pg" -l "$dir/pgrun/pg.log" -w -t 60 \
    -o "-p $port -k $dir/pgrun -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300 -c shared_buffers=128MB" \
    start >"$dir/pg_ctl.log" 2>&1 || { cat "$dir/pg_ctl.log" "$dir/pgrun/pg.log" >&2 || true; die "postgres did not start"; }
  echo "$bindir" >"$dir/pg.bindir"
  echo "PG_URL=postgres://sfo@127.0.0.1:$port/postgres"
}

cmd=${1:-}
shift || true
case "$cmd" in
  start)
    want_redis=0 want_pg=0
    [ $# -eq 0 ] && { want_redis=1; want_pg=1; }
    for a in "$@"; do
      case "$a" in
        redis) want_redis=1 ;;
        postgres|postgresql|pg) want_pg=1 ;;
        *) die "unknown service '$a' (redis, postgres)" ;;
      esac
    done
    dir=$(mktemp -d "${TMPDIR:-/tmp}/sfo-services.XXXXXX")
    # Whatever fails on the way (die exits), what was started is stopped and the folder removed.
    trap 'rc=$?; if [ $rc != 0 ]; then "$0" stop "$dir"; fi; exit $rc' EXIT
    echo "SFO_SERVICES_DIR=$dir"
    if [ $want_redis = 1 ]; then start_redis "$dir"; fi
    if [ $want_pg = 1 ]; then start_postgres "$dir"; fi
    ;;
  stop)
    dir=${1:-}
    [ -n "$dir" ] && [ -d "$dir" ] || exit 0
    case "$dir" in */sfo-services.*) ;; *) die "refusing to stop services in '$dir' (not made by start)" ;; esac
    if [ -s "$dir/redis.pid" ]; then
      pid=$(cat "$dir/redis.pid")
      kill "$pid" 2>/dev/null || true
      for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
    fi
    if [ -s "$dir/pg.bindir" ] && [ -f "$dir/pg/postmaster.pid" ]; then
      as_pg "$(cat "$dir/pg.bindir")/pg_ctl" -D "$dir/pg" -m immediate -w -t 30 stop >/dev/null 2>&1 || true
    fi
    rm -rf "$dir"
    ;;
  *)
    echo "usage: scripts/services.sh start [redis] [postgres] | stop DIR" >&2
    exit 2
    ;;
esac
