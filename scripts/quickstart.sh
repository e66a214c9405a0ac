#!/usr/bin/env bash
# The quick start: starts the local Graph emulator with the quick-start directory, then runs
# `pulumi up` of Pulumi.yaml's stack with a local state backend, signed in to the emulator.
# Usage: bash scripts/quickstart.sh [up|preview|refresh|destroy] [EXAMPLE_DIR]
#   (default: up examples/quickstart, the root Pulumi.yaml's stack; also examples/batch, examples/bootstrap)
#        bash scripts/quickstart.sh reset     start over: every example's emulator directory and stack state
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p .emulator
# One quick start at a time per checkout: they share .emulator/ready.json, the log and the state
# backend, so a second one would pick up the first's emulator and fail when it exits.
exec 9>.emulator/quickstart.lock
if ! flock -n 9; then
  echo "Another bash scripts/quickstart.sh is running in this checkout (it holds .emulator/quickstart.lock);" \
       "wait for it to finish, or run the second one from another clone." >&2
  exit 1
fi
if [ "${1:-}" = reset ]; then
  # Only the quick start's own files: they only ever describe the local emulator, never a tenant.
  rm -rf .pulumi-state
  rm -f Pulumi.quickstart.yaml examples/*/Pulumi.*.yaml  # the stacks' settings (their encryption salt)
  rm -f .emulator/*.db .emulator/*.db-* .emulator/ready.json .emulator/emulator.log .emulator/quickstart.lock
  echo "Reset: removed the emulator's directories (.emulator/*.db) and the stack state (.pulumi-state/)."
  echo "The next bash scripts/quickstart.sh starts from the examples' seeds."
  case "${PULUMI_BACKEND_URL:-}" in
    ""|"file://$PWD/.pulumi-state") ;;
    *) echo "PULUMI_BACKEND_URL is set: stacks in that backend are not touched (pulumi stack rm removes one)." >&2 ;;
  esac
  exit 0
fi
action=${1:-up}
example=${2:-examples/quickstart}
example=${example%/}
name=$(basename "$example")
[ -f "$example/__main__.py" ] && [ -f "$example/seed.yaml" ] || { echo "$example: not an example (no __main__.py and seed.yaml)" >&2; exit 2; }
bash scripts/setup.sh emulator

ready=.emulator/ready.json
rm -f "$ready"
# --db keeps the emulator's directory between runs, in step with the local Pulumi state.
.venv/bin/python -m msgraph_membership.emulator serve --port 0 \
  --seed "$example/seed.yaml" --db "$PWD/.emulator/$name.db" --tls-dir "$PWD/.emulator/tls" \
  >"$ready" 2>.emulator/emulator.log 9>&- &
emu_pid=$!
trap 'kill $emu_pid 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do
  [ -s "$ready" ] && break
  kill -0 $emu_pid 2>/dev/null || { echo "the emulator failed to start; see .emulator/emulator.log" >&2; exit 1; }
  sleep 0.1
done
[ -s "$ready" ] || { echo "the emulator did not get ready; see .emulator/emulator.log" >&2; exit 1; }

# Point the provider at the emulator through the environment: nothing secret goes into config.
eval "$(.venv/bin/python - "$ready" <<'PY'
import json, shlex, sys
r = json.loads(open(sys.argv[1]).readline())
env = {"ARM_TENANT_ID": r["tenant_id"], "ARM_CLIENT_ID": r["client_id"],
       "ARM_CLIENT_SECRET": r["client_secret"], "MSGRAPH_ENDPOINT": r["graph_url"].rsplit("/v1.0", 1)[0],
       "AZURE_AUTHORITY_HOST": r["authority_host"], "MSGRAPH_CA_BUNDLE": r["ca_bundle"]}
for k, v in env.items():
    print(f"export {k}={shlex.quote(v)}")
PY
)"
echo "Local Graph emulator ready at $MSGRAPH_ENDPOINT (log: .emulator/emulator.log)"

if ! command -v pulumi >/dev/null 2>&1; then
  if command -v go >/dev/null 2>&1; then
    echo "The Pulumi CLI is not on PATH; using the one scripts/pulumi-cli.sh builds from its Go module (several minutes once; reused after)." >&2
    bin=$(bash scripts/pulumi-cli.sh)
    export PATH="$bin:$PATH"
  else
    cat >&2 <<'MSG'
The Pulumi CLI is not on PATH, and Go is not installed to build it, so `pulumi up` cannot run here.
Install Pulumi (https://www.pulumi.com/docs/iac/download-install/), for example:
  curl -fsSL https://get.pulumi.com | sh      # Linux / macOS
  brew install pulumi/tap/pulumi              # Homebrew
  choco install pulumi                        # Windows
or install Go 1.26+ (this script then builds the CLI), and run this script again.
MSG
    exit 1
  fi
fi

export PULUMI_BACKEND_URL=${PULUMI_BACKEND_URL:-file://$PWD/.pulumi-state}
export PULUMI_CONFIG_PASSPHRASE=${PULUMI_CONFIG_PASSPHRASE-quickstart}
export PULUMI_SKIP_UPDATE_CHECK=true
mkdir -p .pulumi-state
# The quick start is the root Pulumi.yaml's stack; the other examples carry their own Pulumi.yaml.
cwd=.
[ "$example" = examples/quickstart ] || cwd=$example
pulumi stack select --create "$name" --non-interactive --cwd "$cwd"
case "$action" in
  up) pulumi up --yes --non-interactive --cwd "$cwd" ;;
  preview) pulumi preview --non-interactive --cwd "$cwd" ;;
  refresh) pulumi refresh --yes --non-interactive --cwd "$cwd" ;;
  destroy) pulumi destroy --yes --non-interactive --cwd "$cwd" ;;
  *) echo "unknown action $action (use up, preview, refresh or destroy)" >&2; exit 2 ;;
esac
