#!/usr/bin/env bash
# Runs Corsair's test suite: the formatter's lint (.swift-format), unit tests, then real processes on loopback
# (broker, workers, client, and the third-party MDP/0.2 peers). Installs libzmq, pyzmq and majortomo first when they
# are missing.
set -euo pipefail
cd "$(dirname "$0")/.."
Deploy/install-deps.sh --test
swift format lint --strict --recursive Sources Tests
exec swift test "$@"
