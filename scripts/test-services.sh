#!/usr/bin/env bash
# Test services: `start` installs (when missing) and starts a throw-away PostgreSQL and Redis
# and makes sure Debian's Chromium is there, then prints `export` lines for the test suite;
# `stop` stops them. Everything lives under $HELPLINE_TEST_SERVICES (default /tmp/helpline-test).
set -euo pipefail

ROOT=${HELPLINE_TEST_SERVICES:-/tmp/helpline-test}
PG_PORT=${HELPLINE_TEST_PG_PORT:-55432}
REDIS_PORT=${HELPLINE_TEST_REDIS_PORT:-56379}
log() { echo "test-services: $*" >&2; }

apt_install() {
  if [ "$(id -u)" != 0 ]; then
    log "missing $*; install it (apt-get install $*) or run as root"; exit 1
  fi
  if [ -z "${APT_UPDATED:-}" ]; then apt-get update -qq >&2; APT_UPDATED=1; fi
  log "installing $*"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

pg_bin() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1; }

start_postgres() {
  [ -n "$(pg_bin)" ] || apt_install postgresql
  local bin data run_as=()
  bin=$(pg_bin); data=$ROOT/pg
  # PostgreSQL refuses to run as root; use the postgres account the package created.
  if [ "$(id -u)" = 0 ]; then run_as=(runuser -u postgres --); fi
  mkdir -p "$ROOT"; chmod 755 "$ROOT"
  if [ ! -f "$data/PG_VERSION" ]; then
    rm -rf "$data"; mkdir -p "$data"
    [ "$(id -u)" = 0 ] && chown postgres:postgres "$data"
    "${run_as[@]}" "$bin/initdb" -D "$data" -U postgres -A trust -E UTF8 --locale=C.UTF-8 >/dev/null
  fi
  if ! "${run_as[@]}" "$bin/pg_ctl" -D "$data" status >/dev/null 2>&1; then
    "${run_as[@]}" "$bin/pg_ctl" -D "$data" -l "$data/server.log" -w -t 60 \
      -o "-p $PG_PORT -k $data -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300" start >/dev/null
  fi
  log "postgresql on 127.0.0.1:$PG_PORT"
}

start_redis() {
  command -v redis-server >/dev/null || apt_install redis-server
  if ! redis-cli -p "$REDIS_PORT" ping >/dev/null 2>&1; then
    mkdir -p "$ROOT/redis"
    redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save '' --appendonly no \
      --dir "$ROOT/redis" --daemonize yes --logfile "$ROOT/redis/redis.log" >/dev/null
    for _ in $(seq 50); do redis-cli -p "$REDIS_PORT" ping >/dev/null 2>&1 && break; sleep 0.1; done
  fi
  log "redis on 127.0.0.1:$REDIS_PORT"
}

ensure_chromium() {
  [ -x /usr/bin/chromium ] || apt_install chromium
}

case "${1:-start}" in
  start)
    start_postgres
    start_redis
    ensure_chromium
    echo "export HELPLINE_TEST_DATABASE_URL=postgresql+asyncpg://postgres@127.0.0.1:$PG_PORT/postgres"
    echo "export HELPLINE_TEST_REDIS_URL=redis://127.0.0.1:$REDIS_PORT/0"
    echo "export HELPLINE_TEST_CHROMIUM=/usr/bin/chromium"
    ;;
  stop)
    bin=$(pg_bin)
    if [ -n "$bin" ] && [ -f "$ROOT/pg/PG_VERSION" ]; then
      if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$bin/pg_ctl" -D "$ROOT/pg" stop -m fast >/dev/null || true
      else "$bin/pg_ctl" -D "$ROOT/pg" stop -m fast >/dev/null || true; fi
    fi
    redis-cli -p "$REDIS_PORT" shutdown nosave >/dev/null 2>&1 || true
    ;;
  *) echo "usage: $0 start|stop" >&2; exit 2 ;;
esac
