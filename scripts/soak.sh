#!/usr/bin/env bash
# The full soak (docs/guarantees.md): 1000 memberships across 10 groups and 3 administrative units, through
# the real pulumi CLI, against the local Graph emulator; once fault-free, then with 10% of calls
# throttled (Retry-After 1 s), 5% answered 503, 2% dropped connections and 2 s replication lag.
# Checks that up converges to exactly the declared memberships, a second up changes nothing,
# destroy leaves nothing of ours, and the faulted run costs at most 1.5x the Graph requests.
#
# Usage: bash scripts/soak.sh            # the full profile, prints its figures as JSON
#        bash scripts/soak.sh --profile small [--seed 42]
#        .venv/bin/python -m pytest tests/reliability/test_soak.py   # the full profile, as tests (CI runs them)
# Exit status 0 when every guarantee held, 1 otherwise (the failures are on stderr).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh dev >/dev/null
PYTHONPATH=tests:provider exec .venv/bin/python -m reliability.soak "$@"
