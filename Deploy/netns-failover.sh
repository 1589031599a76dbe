#!/usr/bin/env bash
# Runs two brokers on one PostgreSQL journal across separate "hosts" on one Linux machine, cuts the active broker's
# host off mid-batch, and checks that the standby takes over and that the old active stays standing by once back.
#
# Each host is a network namespace with its own address on 10.78.0.0/24, plugged into a bridge in a namespace of its
# own, so nothing in the machine's own network changes:
#
#   db 10.78.0.2 (PostgreSQL)   broker1 10.78.0.11, broker2 10.78.0.12 (corsair-broker --journal postgresql://…)
#   host1 10.78.0.21, host2 10.78.0.22 (corsair-worker --broker both)   client 10.78.0.100 (corsair submit)
#
# Every timing is a default: heartbeat 1 s, liveness 3, lease 2 s. The client submits 2 000 tasks of 20 ms. Once
# 200 results are back, broker1's link is cut: its lease lapses, broker2 takes over, the workers and the client move
# to it. The script prints the time from the cut to the first task broker2 dispatched (the `started` of the first
# attempt after the cut), restores the link, and exits 0 only if every task succeeded and was reported exactly once,
# broker2 took over, and broker1, deposed, stands by.
#
# Needs root, iproute2 (`ip netns`) and PostgreSQL's server (Debian's postgresql); exits 77 (skipped) without them.
# Binaries come from --bin DIR, else $CORSAIR_BIN, else .build/debug.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
bin=${CORSAIR_BIN:-$root/.build/debug}
if [ "${1:-}" = "--bin" ]; then
    bin=$2
fi
for binary in corsair-broker corsair-worker corsair; do
    [ -x "$bin/$binary" ] || { echo "netns-failover: $bin/$binary not found; build first or pass --bin DIR" >&2; exit 64; }
done
if [ "$(id -u)" -ne 0 ] || ! ip netns list >/dev/null 2>&1; then
    echo "netns-failover: skipped: needs root and 'ip netns' (iproute2)" >&2
    exit 77
fi
pg=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
if [ -z "$pg" ]; then
    echo "netns-failover: skipped: no PostgreSQL server under /usr/lib/postgresql" >&2
    exit 77
fi

id=$$
switch="cf$id-switch"
hosts=(db broker1 broker2 host1 host2 client)
declare -A address=(
    [db]=10.78.0.2 [broker1]=10.78.0.11 [broker2]=10.78.0.12 [host1]=10.78.0.21 [host2]=10.78.0.22
    [client]=10.78.0.100
)
logs=$(mktemp -d)
chmod 755 "$logs"
pids=()

cleanup() {
    status=$?
    for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
    for pid in "${pids[@]}"; do
        for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$pid" 2>/dev/null || true
    done
    ip netns exec "cf$id-db" runuser -u postgres -- "$pg/pg_ctl" -D "$logs/pgdata" -m immediate stop \
        >/dev/null 2>&1 || true
    for host in "${hosts[@]}"; do ip netns del "cf$id-$host" 2>/dev/null || true; done
    ip netns del "$switch" 2>/dev/null || true
    if [ "$status" -eq 0 ]; then rm -rf "$logs"; else echo "netns-failover: logs kept in $logs" >&2; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# The switch-side end of a host's cable (interface names are at most 15 bytes).
port() { echo "s$id${1:0:2}${1: -1}"; }
now_ms() { date +%s%3N; }

wait_for() {
    local deadline=$((SECONDS + $1)); shift
    until "$@"; do
        [ "$SECONDS" -lt "$deadline" ] || return 1
        sleep 0.1
    done
}

echo "== building hosts: ${hosts[*]} on 10.78.0.0/24 (namespaces cf$id-*)"
ip netns add "$switch"
ip -n "$switch" link add br0 type bridge
ip -n "$switch" link set br0 up
for host in "${hosts[@]}"; do
    ns="cf$id-$host"
    ip netns add "$ns"
    ip link add "v$id${host:0:2}${host: -1}" netns "$ns" type veth peer name "$(port "$host")" netns "$switch"
    ip -n "$ns" link set "v$id${host:0:2}${host: -1}" name eth0
    ip -n "$ns" addr add "${address[$host]}/24" dev eth0
    ip -n "$ns" link set eth0 up
    ip -n "$ns" link set lo up
    ip -n "$switch" link set "$(port "$host")" master br0 up
done

echo "== PostgreSQL on db (${address[db]}:5432)"
mkdir "$logs/pgdata" && chown postgres "$logs/pgdata"
runuser -u postgres -- "$pg/initdb" -D "$logs/pgdata" -A trust -U corsair --no-sync >"$logs/initdb.log" 2>&1
echo "host all all 10.78.0.0/24 trust" >>"$logs/pgdata/pg_hba.conf"
ip netns exec "cf$id-db" runuser -u postgres -- "$pg/pg_ctl" -D "$logs/pgdata" -l "$logs/pgdata/server.log" -w \
    -o "-c listen_addresses=${address[db]} -k $logs/pgdata" start >/dev/null
ip netns exec "cf$id-db" "$pg/psql" -h "${address[db]}" -U corsair -d postgres -qc "CREATE DATABASE corsair"
journal="postgresql://corsair@${address[db]}/corsair"

for broker in broker1 broker2; do
    ip netns exec "cf$id-$broker" "$bin/corsair-broker" --bind "tcp://${address[$broker]}:5555" \
        --journal "$journal" >/dev/null 2>"$logs/$broker.log" &
    pids+=($!)
    [ "$broker" = broker1 ] && wait_for 20 grep -q "broker listening" "$logs/broker1.log"
done
wait_for 20 grep -q "standing by active=" "$logs/broker2.log" \
    || { echo "netns-failover: broker2 did not stand by" >&2; cat "$logs/broker2.log" >&2; exit 1; }
brokers="tcp://${address[broker1]}:5555,tcp://${address[broker2]}:5555"
echo "== broker1 active, broker2 standing by"

for host in host1 host2; do
    ip netns exec "cf$id-$host" "$bin/corsair-worker" --broker "$brokers" --category a --simulate 20ms \
        --concurrency 8 --id "$host" >/dev/null 2>"$logs/$host.log" &
    pids+=($!)
done
seq 1 2000 | awk '{print "{\"id\":\"t"$1"\",\"category\":\"a\",\"payload\":\"\"}"}' >"$logs/batch.jsonl"
ip netns exec "cf$id-client" "$bin/corsair" submit --broker "$brokers" --json --timeout 120s "$logs/batch.jsonl" \
    >"$logs/results.jsonl" 2>"$logs/client.log" &
client=$!
pids+=("$client")

results() { wc -l <"$logs/results.jsonl"; }
some_done() { [ "$(results)" -ge 200 ]; }
wait_for 60 some_done || { echo "netns-failover: no results came back" >&2; exit 1; }
cut=$(now_ms)
ip -n "$switch" link set "$(port broker1)" down
echo "== cut broker1's link after $(results) results"

if ! wait "$client"; then
    echo "netns-failover: corsair submit failed:" >&2
    tail -20 "$logs/client.log" >&2
    exit 1
fi
echo "== batch finished"
total=$(results)
unique=$(grep -o '"id":"[^"]*"' "$logs/results.jsonl" | sort -u | wc -l)
succeeded=$(grep -c '"status":"succeeded"' "$logs/results.jsonl" || true)
# The earliest attempt started after the cut (awk alone: `sort | head` fails the pipeline when head exits first).
first=$(grep -o '"started":[0-9]*' "$logs/results.jsonl" | cut -d: -f2 \
    | awk -v cut="$cut" '$1 > cut && (min == "" || $1 < min) { min = $1 } END { print min }')
ip -n "$switch" link set "$(port broker1)" up
echo "== restored broker1's link"
deposed_and_standing() {
    grep -q "deposed" "$logs/broker1.log" && [ "$(grep -c "broker standing by" "$logs/broker1.log")" -ge 1 ]
}
wait_for 60 deposed_and_standing || { echo "netns-failover: broker1 did not stand by" >&2; exit 1; }
sleep 3

echo "== what happened"
echo "tasks: $total results for $unique ids, $succeeded succeeded"
echo "from the cut to the first task broker2 dispatched: $((first - cut)) ms"
grep -E "becoming the active broker|deposed|standing by active" "$logs/broker1.log" "$logs/broker2.log" \
    | sed -E 's/^([^:]+\/)?([a-z0-9]+)\.log:[^ ]+ /  \2: /'

if [ "$total" -ne 2000 ] || [ "$unique" -ne 2000 ] || [ "$succeeded" -ne 2000 ]; then
    echo "netns-failover: FAILED: expected 2000 tasks each reported once and succeeded" >&2
    exit 1
fi
if ! grep -q "becoming the active broker" "$logs/broker2.log" || grep -q "deposed" "$logs/broker2.log"; then
    echo "netns-failover: FAILED: broker2 did not take over, or lost the lease again" >&2
    exit 1
fi
if grep -q "becoming the active broker" "$logs/broker1.log"; then
    echo "netns-failover: FAILED: broker1 took the lease back after its link returned" >&2
    exit 1
fi
echo "netns-failover: OK"
