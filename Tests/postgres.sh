#!/usr/bin/env bash
# Starts a PostgreSQL server of the tests' own: a new data directory under $1, a free loopback port, trust logins for
# the role `corsair` from loopback only. Prints the address the tests read as CORSAIR_TEST_POSTGRES. Stop it with
# `Tests/postgres.sh stop DIR`. Run as root, the server runs as the `postgres` user, since initdb refuses root.
set -euo pipefail
bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
[ -n "$bin" ] || { echo "postgres.sh: no PostgreSQL under /usr/lib/postgresql; run Deploy/install-deps.sh --test" >&2; exit 69; }
as_owner() {
    if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}
case "${1:-}" in
start)
    dir=$2
    mkdir -p "$dir"
    [ "$(id -u)" -ne 0 ] || chown postgres "$dir"
    as_owner "$bin/initdb" -D "$dir/data" -A trust -U corsair --no-sync >"$dir/initdb.log" 2>&1 \
        || { cat "$dir/initdb.log" >&2; exit 70; }
    port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
        -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c max_connections=300" start >/dev/null \
        || { cat "$dir/server.log" >&2; exit 70; }
    "$bin/psql" -h 127.0.0.1 -p "$port" -U corsair -d postgres -qc "CREATE DATABASE corsair" >/dev/null
    echo "postgresql://corsair@127.0.0.1:$port/corsair"
    ;;
stop)
    as_owner "$bin/pg_ctl" -D "$2/data" -m fast -w stop >/dev/null 2>&1 || true
    rm -rf "$2"
    ;;
*)
    echo "usage: Tests/postgres.sh start|stop DIR" >&2
    exit 64
    ;;
esac
