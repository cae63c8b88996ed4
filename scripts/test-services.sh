#!/usr/bin/env bash
# Test services: `start` installs (when missing) and starts a throw-away PostgreSQL, Redis and
# Dovecot (IMAP) and makes sure Debian's Chromium is there, then prints `export` lines for the
# test suite; `stop` stops them. Everything lives under $HELPLINE_TEST_SERVICES (default
# /tmp/helpline-test).
set -euo pipefail

ROOT=${HELPLINE_TEST_SERVICES:-/tmp/helpline-test}
PG_PORT=${HELPLINE_TEST_PG_PORT:-55432}
REDIS_PORT=${HELPLINE_TEST_REDIS_PORT:-56379}
IMAP_PORT=${HELPLINE_TEST_IMAP_PORT:-51143}
# Every IMAP user name logs in with this password and gets a maildir of its own (tests make
# a mailbox per test just by naming a new user).
IMAP_PASSWORD=helpline-imap-test
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

# Dovecot as an unprivileged user (the package's `dovecot` account when run as root) on a high
# port: plaintext login allowed (tests only), any user name with IMAP_PASSWORD, maildirs
# under $ROOT/dovecot/mail. Its own configuration: the system's /etc/dovecot is not read.
dovecot_conf() {
  local dir=$1 user=$2 group=$3 uid gid
  uid=$(id -u "$user"); gid=$(id -g "$user")
  if dovecot --version | grep -q '^2\.3'; then
    cat <<EOF
protocols = imap
listen = 127.0.0.1
base_dir = $dir/run
state_dir = $dir/state
log_path = $dir/dovecot.log
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
default_login_user = $user
default_internal_user = $user
default_internal_group = $group
first_valid_uid = 1
first_valid_gid = 1
mail_location = maildir:$dir/mail/%u
mailbox_idle_check_interval = 1 secs
passdb {
  driver = static
  args = password=$IMAP_PASSWORD
}
userdb {
  driver = static
  args = uid=$uid gid=$gid home=$dir/home/%u
}
EOF
  else  # 2.4 (Debian 13) renamed most settings
    cat <<EOF
dovecot_config_version = 2.4.0
dovecot_storage_version = 2.4.0
protocols = imap
listen = 127.0.0.1
base_dir = $dir/run
state_dir = $dir/state
log_path = $dir/dovecot.log
ssl = no
auth_allow_cleartext = yes
auth_mechanisms = plain login
default_login_user = $user
default_internal_user = $user
default_internal_group = $group
first_valid_uid = 1
first_valid_gid = 1
mail_driver = maildir
mail_home = $dir/home/%{user}
mail_path = $dir/mail/%{user}
mailbox_idle_check_interval = 1s
passdb static {
  password = $IMAP_PASSWORD
}
userdb static {
  fields {
    uid = $uid
    gid = $gid
    home = $dir/home/%{user}
  }
}
EOF
  fi
  cat <<EOF
# Refused logins are answered at once, and the next login too: tests try wrong passwords on
# purpose, and Dovecot would slow down (its auth penalty) an address that does.
auth_failure_delay = 0
service imap-login {
  chroot =
  user = $user
  inet_listener imap {
    port = $IMAP_PORT
  }
  inet_listener imaps {
    port = 0
  }
}
service anvil {
  chroot =
  unix_listener anvil-auth-penalty {
    mode = 0
  }
}
service auth {
  user = $user
}
service auth-worker {
  user = $user
}
protocol imap {
  mail_max_userip_connections = 1000
}
EOF
}

start_dovecot() {
  { command -v dovecot >/dev/null && [ -x /usr/lib/dovecot/imap ]; } || apt_install dovecot-imapd
  local dir=$ROOT/dovecot user group run_as=()
  user=$(id -un); group=$(id -gn)
  if [ "$(id -u)" = 0 ]; then user=dovecot; group=$(id -gn dovecot); run_as=(runuser -u dovecot --); fi
  mkdir -p "$ROOT" "$dir"/{run,state,mail,home}; chmod 755 "$ROOT"
  # Every test run makes new mailboxes: those of runs an hour old go.
  find "$dir/mail" "$dir/home" -mindepth 1 -maxdepth 1 -mmin +60 -exec rm -rf {} + 2>/dev/null || true
  if [ "$(id -u)" = 0 ]; then chown -R "$user:$group" "$dir"; fi
  dovecot_conf "$dir" "$user" "$group" >"$dir/dovecot.conf"
  if ! (exec 3<>"/dev/tcp/127.0.0.1/$IMAP_PORT") 2>/dev/null; then
    "${run_as[@]}" dovecot -c "$dir/dovecot.conf" || { tail -n 20 "$dir/dovecot.log" >&2 || true; exit 1; }
    for _ in $(seq 50); do (exec 3<>"/dev/tcp/127.0.0.1/$IMAP_PORT") 2>/dev/null && break; sleep 0.1; done
  fi
  log "dovecot (imap) on 127.0.0.1:$IMAP_PORT"
}

ensure_chromium() {
  [ -x /usr/bin/chromium ] || apt_install chromium
}

case "${1:-start}" in
  start)
    start_postgres
    start_redis
    start_dovecot
    ensure_chromium
    echo "export HELPLINE_TEST_DATABASE_URL=postgresql+asyncpg://postgres@127.0.0.1:$PG_PORT/postgres"
    echo "export HELPLINE_TEST_REDIS_URL=redis://127.0.0.1:$REDIS_PORT/0"
    echo "export HELPLINE_TEST_CHROMIUM=/usr/bin/chromium"
    echo "export HELPLINE_TEST_IMAP_PORT=$IMAP_PORT"
    echo "export HELPLINE_TEST_IMAP_PASSWORD=$IMAP_PASSWORD"
    ;;
  stop)
    bin=$(pg_bin)
    if [ -n "$bin" ] && [ -f "$ROOT/pg/PG_VERSION" ]; then
      if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$bin/pg_ctl" -D "$ROOT/pg" stop -m fast >/dev/null || true
      else "$bin/pg_ctl" -D "$ROOT/pg" stop -m fast >/dev/null || true; fi
    fi
    redis-cli -p "$REDIS_PORT" shutdown nosave >/dev/null 2>&1 || true
    if [ -f "$ROOT/dovecot/run/master.pid" ]; then
      pid=$(cat "$ROOT/dovecot/run/master.pid")
      kill "$pid" 2>/dev/null || true
      for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    fi
    ;;
  *) echo "usage: $0 start|stop" >&2; exit 2 ;;
esac
