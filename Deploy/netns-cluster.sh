#!/usr/bin/env bash
# Runs a Corsair cluster across separate "hosts" on one Linux machine, then cuts a worker host's network mid-batch.
#
# Each host is a network namespace with its own address on 10.77.0.0/24, plugged into a bridge that lives in a
# namespace of its own, so nothing in the machine's own network changes:
#
#   broker 10.77.0.1 (corsair-broker)   host1 10.77.0.11, host2 10.77.0.12 (corsair-worker, category a)
#   client 10.77.0.100 (corsair submit, corsair workers)
#
# The client submits 40 tasks of 300 ms. Once host1 has finished some, its link is cut: the broker hears nothing
# from it for liveness x heartbeat and requeues its tasks to host2 (reason worker_lost). The link comes back and
# host1 registers again. The script prints what happened and exits 0 only if every task succeeded exactly once, a
# task moved, and host1 came back.
#
# Needs root and iproute2 (`ip netns`); exits 77 (skipped) without them. Binaries come from --bin DIR, else
# $CORSAIR_BIN, else .build/debug. Heartbeats are 250 ms (liveness 3) to keep the run short: about 10 s.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
bin=${CORSAIR_BIN:-$root/.build/debug}
if [ "${1:-}" = "--bin" ]; then
    bin=$2
fi
for binary in corsair-broker corsair-worker corsair; do
    [ -x "$bin/$binary" ] || { echo "netns-cluster: $bin/$binary not found; build first or pass --bin DIR" >&2; exit 64; }
done
if [ "$(id -u)" -ne 0 ]; then
    echo "netns-cluster: skipped: needs root to create network namespaces" >&2
    exit 77
fi
if ! ip netns list >/dev/null 2>&1; then
    echo "netns-cluster: skipped: 'ip netns' is not available (install iproute2)" >&2
    exit 77
fi

id=$$
switch="corsair$id-switch"
hosts=(broker host1 host2 client)
declare -A address=([broker]=10.77.0.1 [host1]=10.77.0.11 [host2]=10.77.0.12 [client]=10.77.0.100)
logs=$(mktemp -d)
pids=()

cleanup() {
    status=$?
    for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
    for pid in "${pids[@]}"; do
        for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$pid" 2>/dev/null || true
    done
    for host in "${hosts[@]}"; do ip netns del "corsair$id-$host" 2>/dev/null || true; done
    ip netns del "$switch" 2>/dev/null || true
    if [ "$status" -eq 0 ]; then rm -rf "$logs"; else echo "netns-cluster: logs kept in $logs" >&2; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

in_host() { local host=$1; shift; ip netns exec "corsair$id-$host" "$@"; }
# The switch-side end of a host's cable (interface names are at most 15 bytes).
port() { echo "s$id${1:0:2}${1: -1}"; }

# Wait up to $1 seconds (wall clock) for a command to succeed.
wait_for() {
    local deadline=$((SECONDS + $1)); shift
    until "$@"; do
        [ "$SECONDS" -lt "$deadline" ] || return 1
        sleep 0.1
    done
}

echo "== building hosts: ${hosts[*]} on 10.77.0.0/24 (namespaces corsair$id-*)"
ip netns add "$switch"
ip -n "$switch" link add br0 type bridge
ip -n "$switch" link set br0 up
for host in "${hosts[@]}"; do
    ns="corsair$id-$host"
    ip netns add "$ns"
    ip link add "v$id${host:0:2}${host: -1}" netns "$ns" type veth peer name "$(port "$host")" netns "$switch"
    ip -n "$ns" link set "v$id${host:0:2}${host: -1}" name eth0
    ip -n "$ns" addr add "${address[$host]}/24" dev eth0
    ip -n "$ns" link set eth0 up
    ip -n "$ns" link set lo up
    ip -n "$switch" link set "$(port "$host")" master br0 up
done

endpoint="tcp://${address[broker]}:5555"
fast=(--heartbeat 250ms --liveness 3)
# Started as simple commands, not through in_host, so $! is the process itself and cleanup can stop it.
ip netns exec "corsair$id-broker" "$bin/corsair-broker" --bind "$endpoint" "${fast[@]}" --log-level debug \
    --journal "$logs/corsair.journal" \
    >/dev/null 2>"$logs/broker.log" &
pids+=($!)
for host in host1 host2; do
    ip netns exec "corsair$id-$host" "$bin/corsair-worker" --broker "$endpoint" --category a --simulate 300ms \
        --concurrency 2 --id "$host" "${fast[@]}" >/dev/null 2>"$logs/$host.log" &
    pids+=($!)
done
workers_seen() {
    in_host client "$bin/corsair" workers --broker "$endpoint" --timeout 1s --json 2>/dev/null | grep -c "\"id\" : \"$1\"" || true
}
both_workers() { [ "$(workers_seen host1)" -ge 1 ] && [ "$(workers_seen host2)" -ge 1 ]; }
wait_for 20 both_workers || { echo "netns-cluster: workers did not register" >&2; exit 1; }
echo "== broker at $endpoint; host1 and host2 registered"

seq 1 40 | sed 's/^/a/' >"$logs/batch.txt"
ip netns exec "corsair$id-client" "$bin/corsair" submit --broker "$endpoint" --json --timeout 60s "$logs/batch.txt" \
    >"$logs/results.jsonl" 2>"$logs/client.log" &
client=$!
pids+=("$client")

host1_done() { [ "$(grep -c '"worker":"host1"' "$logs/results.jsonl")" -ge 4 ]; }
wait_for 30 host1_done || { echo "netns-cluster: host1 finished nothing" >&2; exit 1; }
ip -n "$switch" link set "$(port host1)" down
echo "== cut host1's link after it finished $(grep -c '"worker":"host1"' "$logs/results.jsonl") tasks"

if ! wait "$client"; then
    echo "netns-cluster: corsair submit failed:" >&2
    cat "$logs/client.log" >&2
    exit 1
fi
echo "== batch finished"

ip -n "$switch" link set "$(port host1)" up
echo "== restored host1's link"
host1_back() { [ "$(workers_seen host1)" -ge 1 ]; }
started=$(date +%s.%N)
wait_for 30 host1_back || { echo "netns-cluster: host1 did not register again" >&2; exit 1; }
back=$(python3 -c "import time; print(f'{time.time() - $started:.1f}')")

total=$(wc -l <"$logs/results.jsonl")
unique=$(grep -o '"id":"[^"]*"' "$logs/results.jsonl" | sort -u | wc -l)
succeeded=$(grep -c '"status":"succeeded"' "$logs/results.jsonl" || true)
on1=$(grep -c '"worker":"host1"' "$logs/results.jsonl" || true)
on2=$(grep -c '"worker":"host2"' "$logs/results.jsonl" || true)
retried=$(grep -c '"attempts":[2-9]' "$logs/results.jsonl" || true)
lost=$(grep -c 'reason=worker_lost' "$logs/broker.log" || true)
echo "== what happened"
echo "tasks: $total results for $unique ids, $succeeded succeeded"
echo "per host: host1 $on1, host2 $on2"
echo "requeued with worker_lost: $lost (tasks that needed a second attempt: $retried)"
echo "host1 registered again ${back}s after its link came back"
grep -E 'worker (joined|left)' "$logs/broker.log" | sed -E 's/^[^ ]+ [^ ]+ [^ ]+ //' | sed 's/^/  broker: /'

if [ "$total" -ne 40 ] || [ "$unique" -ne 40 ] || [ "$succeeded" -ne 40 ]; then
    echo "netns-cluster: FAILED: expected 40 tasks each reported once and succeeded" >&2
    exit 1
fi
if [ "$lost" -lt 1 ]; then
    echo "netns-cluster: FAILED: no task moved off the cut host" >&2
    exit 1
fi
echo "netns-cluster: OK"
