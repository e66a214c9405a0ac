#!/usr/bin/env bash
# Sets up .venv (if needed) with the package, the emulator and the test tools, then runs the tests.
# Usage: bash scripts/test.sh [pytest args...]
set -euo pipefail
cd "$(dirname "$0")/.."
extras=dev
# Where scripts/azuread-cli.sh has built the real competitors, the tests that run them (they skip
# elsewhere) also need pulumi-azuread's Python SDK: the bench extra brings it.
if compgen -G "${XDG_CACHE_HOME:-$HOME/.cache}/pulumi-msgraph-membership/azuread-cli-*/bin/pulumi-resource-azuread" >/dev/null; then
  extras=dev,bench
fi
bash scripts/setup.sh "$extras"
exec .venv/bin/python -m pytest "$@"
