#!/usr/bin/env bash
# Fills the disk of a PostgreSQL journal's server while a batch runs, and shows what the broker does: a PostgreSQL 15
# of its own on a 160 MiB tmpfs, a broker and a worker on it, 200 tasks of 50 ms, the tmpfs filled a second in. It
# prints the second submission's exit status (75, journal_full, is expected), the first batch's results, a third
# submission's status once the filler is gone, and the broker's journal lines. Needs root (mount, the postgres
# user) and Debian's postgresql. Build first:
#   swift build --product corsair-broker --product corsair-worker --product corsair
#   sudo Deploy/bench/postgres-disk-full.sh [--bin DIR]
set -uo pipefail
cd "$(dirname "$0")/../.."
bin=".build/debug"
if [ "${1:-}" = "--bin" ]; then bin="$2"; shift 2; fi
pg=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
[ -n "$pg" ] && [ "$(id -u)" -eq 0 ] || { echo "postgres-disk-full: needs root and PostgreSQL" >&2; exit 77; }
work="$(mktemp -d -t corsair-pgfull.XXXXXX)"
chmod 755 "$work"
mkdir "$work/disk"
mount -t tmpfs -o size=160m tmpfs "$work/disk"
chown postgres "$work/disk"
pids=()
cleanup() {
    for pid in "${pids[@]}"; do kill -KILL "$pid" 2>/dev/null || true; done
    wait 2>/dev/null
    runuser -u postgres -- "$pg/pg_ctl" -D "$work/disk/data" -m immediate stop >/dev/null 2>&1 || true
    umount "$work/disk" 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
runuser -u postgres -- "$pg/initdb" -D "$work/disk/data" -A trust -U corsair --no-sync >/dev/null
runuser -u postgres -- "$pg/pg_ctl" -D "$work/disk/data" -l "$work/disk/data/server.log" -w \
    -o "-p $port -k $work/disk -c listen_addresses=127.0.0.1" start >/dev/null
"$pg/psql" -h 127.0.0.1 -p "$port" -U corsair -d postgres -qc "CREATE DATABASE corsair"
endpoint="tcp://127.0.0.1:$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
"$bin/corsair-broker" --journal "postgresql://corsair@127.0.0.1:$port/corsair" --bind "$endpoint" 2>"$work/broker.log" &
pids+=($!)
sleep 1
"$bin/corsair-worker" --broker "$endpoint" --category sim --simulate 50ms --concurrency 4 2>/dev/null &
pids+=($!)
batch() { seq 1 "$1" | awk -v p="$2" '{print "{\"id\":\"" p $1 "\",\"category\":\"sim\",\"payload\":\"x\"}"}'; }
batch 200 a >"$work/a.jsonl"
batch 5 b >"$work/b.jsonl"
"$bin/corsair" submit --broker "$endpoint" --json "$work/a.jsonl" >"$work/a.out" 2>/dev/null &
first=$!
sleep 1
dd if=/dev/zero of="$work/disk/filler" bs=1M 2>/dev/null
echo "== disk: $(df -h "$work/disk" | awk 'NR == 2 {print $5}') used"
sleep 3
"$bin/corsair" submit --broker "$endpoint" --batch second "$work/b.jsonl" >/dev/null 2>"$work/b.err"
echo "== second submission, disk full: exit $? ($(tail -1 "$work/b.err"))"
rm -f "$work/disk/filler"
wait "$first"
echo "== first batch: exit $?, $(wc -l <"$work/a.out") results"
"$bin/corsair" submit --broker "$endpoint" --batch third "$work/b.jsonl" >/dev/null 2>&1
echo "== third submission, room again: exit $?"
grep -E "refusing|writable again|deposed" "$work/broker.log" | cut -c1-200
