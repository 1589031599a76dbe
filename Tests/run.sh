#!/usr/bin/env bash
# Runs Corsair's test suite: unit tests, then real processes on loopback (broker, workers, client, and the
# third-party MDP/0.2 peers). Installs libzmq, pyzmq and majortomo first when they are missing.
set -euo pipefail
cd "$(dirname "$0")/.."
Deploy/install-deps.sh --test
exec swift test "$@"
