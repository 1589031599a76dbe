#!/usr/bin/env bash
# Measures a durable broker's restart on a big journal: writes a journal of N queued tasks of 64 random bytes
# (default 1 000 000) with the sqlite3 shell, starts corsair-broker on it with one echo worker, and prints the
# journal's size, the time from the broker's start to its first dispatched task, and the broker's resident memory
# then and at its peak. Build first (release for figures worth quoting):
#   swift build -c release --product corsair-broker --product corsair-worker --product corsair
#   Deploy/bench/journal-restart.sh [--bin DIR] [N]
set -euo pipefail
cd "$(dirname "$0")/../.."
bin=".build/release"
if [ "${1:-}" = "--bin" ]; then bin="$2"; shift 2; fi
count="${1:-1000000}"
command -v sqlite3 >/dev/null || { echo "journal-restart: needs the sqlite3 shell (apt-get install sqlite3)" >&2; exit 69; }
work="$(mktemp -d -t corsair-restart.XXXXXX)"
pids=()
cleanup() {
    for pid in "${pids[@]}"; do kill -KILL "$pid" 2>/dev/null || true; done
    rm -rf "$work"
}
trap cleanup EXIT
journal="$work/corsair.journal"

# An empty journal with the broker's schema, then the tasks, as if a broker had accepted them and died.
"$bin/corsair-broker" --bind 'tcp://127.0.0.1:*' --endpoint-file "$work/endpoint0" --journal "$journal" \
    --log-level error &
first=$!
for _ in $(seq 100); do [ -s "$work/endpoint0" ] && break; sleep 0.1; done
kill -TERM "$first"; wait "$first" || true
sqlite3 "$journal" <<SQL
PRAGMA journal_mode = WAL;
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $count)
INSERT INTO tasks(key, batch, id, category, payload, priority, submitted_ms)
SELECT i, CAST('restart' AS BLOB), 't' || i, 'bench', randomblob(64), 0, 0 FROM n;
UPDATE meta SET value = $count WHERE name = 'last_key';
PRAGMA wal_checkpoint(TRUNCATE);
SQL
size=$(stat -c %s "$journal")

port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
endpoint="tcp://127.0.0.1:$port"
"$bin/corsair-worker" --broker "$endpoint" --category bench --echo --log-level error &
pids+=($!)
start=$(date +%s%N)
"$bin/corsair-broker" --bind "$endpoint" --journal "$journal" --log-level error &
broker=$!
pids+=($broker)
dispatched=""
for _ in $(seq 600); do
    if "$bin/corsair" status --broker "$endpoint" --json --timeout 1s 2>/dev/null \
        | python3 -c 'import json, sys; s = json.load(sys.stdin); sys.exit(0 if s["succeeded"] + s["tasks"]["running"] > 0 else 1)'
    then
        dispatched=$(( ($(date +%s%N) - start) / 1000000 ))
        break
    fi
    sleep 0.05
done
rss=$(awk '/VmRSS/ { print int($2 / 1024) }' "/proc/$broker/status")
peak=$(awk '/VmHWM/ { print int($2 / 1024) }' "/proc/$broker/status")
echo "journal of $count queued 64-byte tasks: $(( size / 1048576 )) MiB ($size bytes)"
echo "first dispatch ${dispatched:-not within 30 s} ms after the broker started"
echo "broker RSS then: $rss MiB (peak $peak MiB)"
