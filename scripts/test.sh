#!/usr/bin/env bash
# Sets up .venv (if needed) with the package, the emulator and the test tools, then runs the tests.
# Usage: bash scripts/test.sh [pytest args...]
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh dev
exec .venv/bin/python -m pytest "$@"
