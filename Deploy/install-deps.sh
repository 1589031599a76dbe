#!/usr/bin/env bash
# Installs what Corsair needs on Debian when it is missing: libzmq (libzmq3-dev), SQLite (libsqlite3-dev, which the
# broker's journal links through GRDB) and pkg-config.
# With --test, also python3 with pyzmq and majortomo (the third-party MDP/0.2 peers the interop tests run) and
# Chromium (the headless browser that checks the dashboard), tcpdump (the capture that shows CURVE hides payloads) and
# PostgreSQL (the server the PostgreSQL journal's tests start on loopback, Tests/postgres.sh).
set -euo pipefail

as_root() {
    if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

missing=()
command -v pkg-config >/dev/null 2>&1 || missing+=(pkg-config)
pkg-config --exists libzmq 2>/dev/null || missing+=(libzmq3-dev)
pkg-config --exists sqlite3 2>/dev/null || missing+=(libsqlite3-dev)
if [ "${1:-}" = "--test" ]; then
    command -v python3 >/dev/null 2>&1 || missing+=(python3 python3-pip)
    command -v chromium >/dev/null 2>&1 || missing+=(chromium)
    command -v ip >/dev/null 2>&1 || missing+=(iproute2)
    command -v tcpdump >/dev/null 2>&1 || missing+=(tcpdump)
    ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing+=(postgresql)
fi
if [ "${#missing[@]}" -gt 0 ]; then
    echo "installing ${missing[*]}" >&2
    as_root apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi

if [ "${1:-}" = "--test" ] && ! python3 -c 'import zmq, majortomo' 2>/dev/null; then
    echo "installing pyzmq and majortomo" >&2
    python3 -m pip install --quiet --disable-pip-version-check pyzmq majortomo 2>/dev/null \
        || python3 -m pip install --quiet --disable-pip-version-check --break-system-packages pyzmq majortomo
fi
