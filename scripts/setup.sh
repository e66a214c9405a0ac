#!/usr/bin/env bash
# Creates .venv (if needed) and installs the package with the given extras (default: emulator).
# Reinstalls only when pyproject.toml changes.
set -euo pipefail
cd "$(dirname "$0")/.."
extras=${1:-emulator}
PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
stamp=.venv/.installed-$extras-$(sha1sum pyproject.toml | cut -c1-12)
export PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_INPUT=1  # no notices: -q then prints only problems
if [ ! -f "$stamp" ]; then
  echo "Installing pulumi-msgraph-membership[$extras] into .venv (a minute the first time) ..." >&2
  .venv/bin/python -m pip install -q --upgrade pip >/dev/null
  .venv/bin/python -m pip install -q -e ".[$extras]"
  touch "$stamp"
fi
