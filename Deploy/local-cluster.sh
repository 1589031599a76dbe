#!/usr/bin/env bash
# The main job: builds Corsair, starts a local broker and workers for categories a, b and c (simulated work) and a
# calculator worker, submits the seed batch `a1 a2 c1 b1 c2 b3 b2 b4 a3` and a calculator task, shows the results,
# and stops everything cleanly. Installs libzmq first when it is missing.
#
# Environment: CONFIGURATION=release builds optimised binaries (default debug, which builds faster);
#              KEEP_LOGS=1 keeps the per-node log files.
set -euo pipefail
cd "$(dirname "$0")/.."
Deploy/install-deps.sh

configuration="${CONFIGURATION:-debug}"
echo "building ($configuration)…" >&2
swift build -c "$configuration" 2>&1 | tail -n 1 >&2
bin="$(swift build -c "$configuration" --show-bin-path)"

work="$(mktemp -d -t corsair-cluster.XXXXXX)"
pids=()
stop_all() {
    for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
    for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
    if [ "${KEEP_LOGS:-0}" = 1 ]; then echo "logs kept in $work" >&2; else rm -rf "$work"; fi
}
trap stop_all EXIT

# The broker's journal lives in the temporary directory too, so each run starts empty and leaves nothing behind.
"$bin/corsair-broker" --bind 'tcp://127.0.0.1:*' --endpoint-file "$work/endpoint" --log-file "$work/broker.log" \
    --journal "$work/corsair.journal" &
pids+=($!)
for _ in $(seq 100); do [ -s "$work/endpoint" ] && break; sleep 0.1; done
endpoint="$(head -n 1 "$work/endpoint")"
echo "broker listening on $endpoint" >&2

for category in a b c; do
    "$bin/corsair-worker" --broker "$endpoint" --category "$category" --simulate 300ms \
        --log-file "$work/worker-$category.log" &
    pids+=($!)
done
"$bin/corsair-worker" --broker "$endpoint" --category calc --calc --log-file "$work/worker-calc.log" &
pids+=($!)

echo
echo "seed batch: a1 a2 c1 b1 c2 b3 b2 b4 a3"
echo "a1 a2 c1 b1 c2 b3 b2 b4 a3" | "$bin/corsair" submit --broker "$endpoint" -
echo
echo 'calculator: 4 * (2 + 3)'
echo '{"id": "calc-1", "category": "calc", "payload": "4 * (2 + 3)"}' | "$bin/corsair" submit --broker "$endpoint" -
echo
echo "stopping the cluster" >&2
