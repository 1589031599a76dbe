#!/usr/bin/env bash
# Runs Corsair's test suite: the formatter's lint (.swift-format), unit tests, then real processes on loopback
# (broker, workers, client, and the third-party MDP/0.2 peers). Installs libzmq, pyzmq, majortomo and PostgreSQL first
# when they are missing, and starts a PostgreSQL server of the tests' own (Tests/postgres.sh) for the PostgreSQL
# journal's tests, stopped when this script ends.
set -euo pipefail
cd "$(dirname "$0")/.."
Deploy/install-deps.sh --test
swift format lint --strict --recursive Sources Tests
# Three passes, because Swift's cooperative pool has two threads on a 2-core machine and the integration suites hold
# them while they wait on real processes:
# 1. the suites that await in-process work (the HTTP gateway, an embedded broker, the journal's ordering, handlers
#    that never return): run beside the blocking suites they were starved past their time limits, and a run hung;
# 2. everything else but the longest suites;
# 3. the suites that wait on real processes for most of a minute each.
awaiting='CorsairHTTPTests|EmbeddedTests|JournalOrderingTests|StuckHandlerTests|GatewayClusterTests|HTTPTokenTests'
awaiting+='|DashboardChartsTests|WorkerPageTests|DetachTests|IntegrationTests.CurveTests'
long='DetachCrashTests|CurveTrafficTests|WorkerLossTests|StalledClientTests'
swift build --build-tests "$@"
postgres_dir=$(mktemp -d /tmp/corsair-test-postgres.XXXXXX)
trap 'Tests/postgres.sh stop "$postgres_dir"' EXIT
CORSAIR_TEST_POSTGRES=$(Tests/postgres.sh start "$postgres_dir")
export CORSAIR_TEST_POSTGRES
swift test --skip-build --filter "$awaiting" "$@"
swift test --skip-build --skip "$awaiting|$long" "$@"
swift test --skip-build --filter "$long" "$@"
