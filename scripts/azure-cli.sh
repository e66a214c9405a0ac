#!/usr/bin/env bash
# Installs the Azure CLI (the azure-cli package from the package index, pinned here) into a
# virtualenv of its own outside the repository, once; prints its bin directory on stdout (progress
# on stderr), so:  export PATH="$(bash scripts/azure-cli.sh):$PATH"
# The emulator's tests with the real `az` use it (about 730 MB; a few minutes the first time).
set -euo pipefail
version=2.91.0
venv=${XDG_CACHE_HOME:-$HOME/.cache}/pulumi-msgraph-membership/azure-cli-$version
if [ ! -x "$venv/bin/az" ] || ! "$venv/bin/python" -c "import azure.cli.core" 2>/dev/null; then
  echo "azure-cli: installing azure-cli $version into $venv (once; a few minutes) ..." >&2
  start=$SECONDS
  rm -rf "$venv"
  python3 -m venv "$venv"
  if ! "$venv/bin/python" -m pip install -q --disable-pip-version-check "azure-cli==$version" >"$venv.log" 2>&1; then
    tail -n 30 "$venv.log" >&2
    echo "azure-cli: the install failed; pip's output is in $venv.log" >&2
    exit 1
  fi
  echo "azure-cli: installed in $((SECONDS - start)) s" >&2
fi
echo "$venv/bin"
