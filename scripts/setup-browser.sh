#!/usr/bin/env bash
# Installs what the emulator page's browser test needs: Debian's chromium and chromium-driver.
# Does nothing when both are on PATH. Needs root or sudo (apt-get); the Python driver (selenium)
# comes with the dev extra of scripts/setup.sh.
# Usage: bash scripts/setup-browser.sh
set -euo pipefail
if command -v chromium >/dev/null 2>&1 && command -v chromedriver >/dev/null 2>&1; then
  exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "setup-browser: no apt-get here; install Chromium and its chromedriver by hand" >&2
  exit 1
fi
sudo=
[ "$(id -u)" = 0 ] || sudo=sudo
echo "Installing chromium and chromium-driver (apt-get) ..." >&2
$sudo apt-get update -q >/dev/null
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends chromium chromium-driver >/dev/null
