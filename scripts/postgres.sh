#!/usr/bin/env bash
# A throwaway PostgreSQL server on 127.0.0.1 for the tests and benchmarks (never for production:
# loopback connections are trusted without a password).
#
#   scripts/postgres.sh start DIR [PORT]   initialises DIR if empty, starts the server, prints its URL
#   scripts/postgres.sh stop DIR
#
# PostgreSQL refuses to run as root, so as root the server runs as the system user `bulwarkpg`
# (created when missing). Export the printed URL as BULWARK_TEST_DATABASE_URL for `npm test`.
set -euo pipefail

cmd="${1:-}"
dir="${2:-}"
port="${3:-55432}"
if [ -z "$cmd" ] || [ -z "$dir" ]; then
  echo "usage: $0 start|stop DIR [PORT]" >&2
  exit 2
fi

bindir="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)"
if [ -z "$bindir" ] || [ ! -x "$bindir/initdb" ]; then
  echo "PostgreSQL server binaries not found (apt-get install postgresql)" >&2
  exit 1
fi

as_owner() {
  if [ "$(id -u)" = 0 ]; then
    runuser -u bulwarkpg -- "$@"
  else
    "$@"
  fi
}

case "$cmd" in
  start)
    if [ "$(id -u)" = 0 ] && ! id bulwarkpg >/dev/null 2>&1; then
      useradd --system --no-create-home --shell /usr/sbin/nologin bulwarkpg
    fi
    mkdir -p "$dir"
    dir="$(cd "$dir" && pwd)"
    if [ "$(id -u)" = 0 ]; then chown bulwarkpg "$dir"; fi
    chmod 700 "$dir"
    if [ ! -f "$dir/data/PG_VERSION" ]; then
      as_owner "$bindir/initdb" -D "$dir/data" -U bulwark --auth=trust -E UTF8 --locale=C >"$dir/initdb.log"
    fi
    as_owner "$bindir/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
      -o "-c listen_addresses=127.0.0.1 -c port=$port -c unix_socket_directories=$dir -c max_connections=200" \
      start >/dev/null
    echo "postgres://bulwark@127.0.0.1:$port/postgres"
    ;;
  stop)
    as_owner "$bindir/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null
    ;;
  *)
    echo "unknown command: $cmd" >&2
    exit 2
    ;;
esac
