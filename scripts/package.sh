#!/usr/bin/env bash
# Builds the sdist and the wheel as a release would (`python -m build`: the wheel is built from
# the sdist, so a file the sdist leaves out is missing from the wheel too) and checks them as the
# package index would (`twine check --strict`). Prints the directory that holds them on stdout.
# Usage: bash scripts/package.sh [OUTDIR]     (default: dist/)
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-dist}
bash scripts/setup.sh dev
rm -rf "$out"
.venv/bin/python -m build --quiet --outdir "$out" . >&2
.venv/bin/python -m twine check --strict "$out"/*.tar.gz "$out"/*.whl >&2
(cd "$out" && pwd)
