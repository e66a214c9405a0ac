#!/usr/bin/env bash
# Builds, once, into a cache outside the repository, the real competitors the benchmark runs:
# OpenTofu, terraform-provider-azuread and pulumi-azuread's provider plugin; installs that plugin
# for the Pulumi CLI (scripts/pulumi-cli.sh) and writes a tofu CLI configuration that uses the
# terraform provider through dev_overrides (no registry access). Prints the bin directory on stdout
# (progress and timings go to stderr), so:
#   bin="$(bash scripts/azuread-cli.sh)"; export TF_CLI_CONFIG_FILE="$bin/tofurc"; "$bin/tofu" ...
#
# Pins: OpenTofu in scripts/azuread-cli/go.mod (with go.sum); the two providers below.
# Where the sources come from:
# - terraform-provider-azuread: its v3 tags carry no /v3 module suffix, so Go knows release vX.Y.Z
#   only by a pseudo-version (v1.6.1-0.<commit time>-<commit>), which the Go module proxy may refuse.
#   AZUREAD_SRC=<a checkout of github.com/hashicorp/terraform-provider-azuread at tag v3.9.0> builds
#   from that checkout's vendor/ folder (no network); without it, the module proxy route is tried.
# - pulumi-azuread: PULUMI_AZUREAD_SRC=<a checkout of github.com/pulumi/pulumi-azuread at tag
#   v6.10.0> builds its provider/ (copied into the cache; the checkout stays clean) against
#   AZUREAD_SRC through a replace directive, its other modules from the module proxy. Without it,
#   `pulumi plugin install resource azuread 6.10.0` downloads Pulumi's released binary (internet).
# Exit codes: 0 built; 1 a build failed; 3 the Go module proxy does not serve the terraform
# provider version and AZUREAD_SRC is not set (the proxy's answer is printed as is); 4 a source
# checkout is not at the pinned release.
set -euo pipefail
AZUREAD_RELEASE=v3.9.0
AZUREAD_MODULE_VERSION=v1.6.1-0.20260618210114-df2a07a33712   # = tag v3.9.0, commit df2a07a33712
PULUMI_AZUREAD_RELEASE=v6.10.0
here="$(cd "$(dirname "$0")" && pwd)"
src="$here/azuread-cli"
tofu_version=$(sed -n 's#^[[:space:]]*github.com/opentofu/opentofu \(v[0-9][0-9.]*\).*#\1#p' "$src/go.mod")
[ -n "$tofu_version" ] || { echo "azuread-cli: no github.com/opentofu/opentofu version in $src/go.mod" >&2; exit 2; }
cache=${XDG_CACHE_HOME:-$HOME/.cache}/pulumi-msgraph-membership/azuread-cli-tofu-$tofu_version-azuread-$AZUREAD_RELEASE
bin=$cache/bin
mkdir -p "$bin"
command -v go >/dev/null 2>&1 || { echo "azuread-cli: Go 1.26+ is needed to build OpenTofu and the providers." >&2; exit 1; }

elapsed() { echo $(( $(date +%s) - $1 )); }
check_release() {  # DIR TAG NAME: the checkout must be at the pinned tag
  local at
  at=$(git -C "$1" describe --tags --exact-match 2>/dev/null || true)
  if [ "$at" != "$2" ]; then
    echo "azuread-cli: $3 in $1 is at '${at:-no tag}', not $2; check out tag $2 there." >&2
    exit 4
  fi
}

if [ -x "$bin/tofu" ] && "$bin/tofu" version 2>/dev/null | grep -q "OpenTofu ${tofu_version}"; then
  echo "azuread-cli: OpenTofu $tofu_version already built in $bin" >&2
else
  echo "azuread-cli: building OpenTofu $tofu_version into $bin (one-time; minutes on 2 cores) ..." >&2
  start=$(date +%s)
  work=$cache/tofu-module
  mkdir -p "$work"
  cp "$src/go.mod" "$src/go.sum" "$work/"
  if ! (cd "$work" && go build -ldflags "-s -w" -o "$bin/tofu.new" github.com/opentofu/opentofu/cmd/tofu); then
    echo "azuread-cli: the build of github.com/opentofu/opentofu/cmd/tofu@$tofu_version failed (see above)." >&2
    exit 1
  fi
  mv "$bin/tofu.new" "$bin/tofu"
  echo "azuread-cli: built OpenTofu $tofu_version in $(elapsed "$start") s" >&2
fi

provider=$bin/terraform-provider-azuread
if [ -x "$provider" ]; then
  echo "azuread-cli: terraform-provider-azuread $AZUREAD_RELEASE already built in $bin" >&2
elif [ -n "${AZUREAD_SRC:-}" ]; then
  AZUREAD_SRC=$(cd "$AZUREAD_SRC" && pwd)
  check_release "$AZUREAD_SRC" "$AZUREAD_RELEASE" terraform-provider-azuread
  echo "azuread-cli: building terraform-provider-azuread $AZUREAD_RELEASE from AZUREAD_SRC=$AZUREAD_SRC (its vendor/, no network) ..." >&2
  start=$(date +%s)
  if ! (cd "$AZUREAD_SRC" && go build -mod=vendor -ldflags "-s -w" -o "$provider.new" .); then
    echo "azuread-cli: the build of terraform-provider-azuread in $AZUREAD_SRC failed (see above)." >&2
    exit 1
  fi
  mv "$provider.new" "$provider"
  echo "azuread-cli: built terraform-provider-azuread $AZUREAD_RELEASE in $(elapsed "$start") s" >&2
else
  start=$(date +%s)
  module=github.com/hashicorp/terraform-provider-azuread
  echo "azuread-cli: AZUREAD_SRC is not set; asking the Go module proxy for $module@$AZUREAD_MODULE_VERSION ..." >&2
  if ! answer=$(cd "$cache" && go mod download -json "$module@$AZUREAD_MODULE_VERSION" 2>&1) \
      || printf '%s' "$answer" | grep -q '"Error"'; then
    echo "azuread-cli: the Go module proxy does not serve $module@$AZUREAD_MODULE_VERSION ($AZUREAD_RELEASE):" >&2
    printf '%s\n' "$answer" >&2
    echo "azuread-cli: set AZUREAD_SRC to a checkout of $module at tag $AZUREAD_RELEASE (it carries vendor/)." >&2
    exit 3
  fi
  echo "azuread-cli: building terraform-provider-azuread $AZUREAD_RELEASE into $bin ..." >&2
  work=$cache/provider-module
  rm -rf "$work" && mkdir -p "$work"
  # Its own go.mod pins every dependency; go.sum entries are checked against the checksum database.
  if ! (cd "$work" && go mod init azuread-cli/provider >/dev/null 2>&1 \
        && go get "$module@$AZUREAD_MODULE_VERSION" \
        && go build -ldflags "-s -w" -o "$provider.new" "$module"); then
    echo "azuread-cli: the build of $module@$AZUREAD_MODULE_VERSION failed (see above)." >&2
    exit 1
  fi
  mv "$provider.new" "$provider"
  echo "azuread-cli: built terraform-provider-azuread $AZUREAD_RELEASE in $(elapsed "$start") s" >&2
fi

# dev_overrides: tofu loads the provider from $bin and never asks a registry for it.
cat > "$bin/tofurc.new" <<RC
provider_installation {
  dev_overrides {
    "registry.opentofu.org/hashicorp/azuread" = "$bin"
  }
}
RC
mv "$bin/tofurc.new" "$bin/tofurc"

# pulumi-azuread's provider plugin.
plugin=$bin/pulumi-resource-azuread
plugin_version=${PULUMI_AZUREAD_RELEASE#v}
if [ -x "$plugin" ]; then
  echo "azuread-cli: pulumi-resource-azuread $PULUMI_AZUREAD_RELEASE already built in $bin" >&2
elif [ -n "${PULUMI_AZUREAD_SRC:-}" ]; then
  [ -n "${AZUREAD_SRC:-}" ] || { echo "azuread-cli: PULUMI_AZUREAD_SRC needs AZUREAD_SRC too (its replace target)." >&2; exit 4; }
  AZUREAD_SRC=$(cd "$AZUREAD_SRC" && pwd)
  PULUMI_AZUREAD_SRC=$(cd "$PULUMI_AZUREAD_SRC" && pwd)
  check_release "$PULUMI_AZUREAD_SRC" "$PULUMI_AZUREAD_RELEASE" pulumi-azuread
  echo "azuread-cli: building pulumi-resource-azuread $PULUMI_AZUREAD_RELEASE from PULUMI_AZUREAD_SRC=$PULUMI_AZUREAD_SRC against AZUREAD_SRC (other modules from the Go module proxy) ..." >&2
  start=$(date +%s)
  work=$cache/pulumi-azuread-provider
  rm -rf "$work" && cp -r "$PULUMI_AZUREAD_SRC/provider" "$work"
  (cd "$work" && go mod edit -replace "github.com/hashicorp/terraform-provider-azuread=$AZUREAD_SRC")
  # The plugin embeds its schema, with its version, from a file its release build generates.
  python3 - "$work/cmd/pulumi-resource-azuread" "$plugin_version" <<'PY'
import json, sys
folder, version = sys.argv[1], sys.argv[2]
with open(f"{folder}/schema.json") as f:
    schema = json.load(f)
schema["version"] = version
with open(f"{folder}/schema-embed.json", "w") as f:
    json.dump(schema, f)
PY
  if ! (cd "$work" && go build -mod=mod \
          -ldflags "-s -w -X github.com/pulumi/pulumi-azuread/provider/v6/pkg/version.Version=$plugin_version" \
          -o "$plugin.new" ./cmd/pulumi-resource-azuread); then
    echo "azuread-cli: the build of pulumi-azuread's provider in $work failed (see above)." >&2
    exit 1
  fi
  mv "$plugin.new" "$plugin"
  echo "azuread-cli: built pulumi-resource-azuread $PULUMI_AZUREAD_RELEASE in $(elapsed "$start") s" >&2
fi

# Install it for the Pulumi CLI; that CLI is scripts/pulumi-cli.sh's build (waited for, never
# built twice), or the one on PATH.
pulumi_cmd=""
if command -v pulumi >/dev/null 2>&1; then
  pulumi_cmd=$(command -v pulumi)
else
  while pgrep -f "go build.*pulumi/pkg/v3/cmd/pulumi" >/dev/null 2>&1; do
    echo "azuread-cli: waiting for the Pulumi CLI build under way (scripts/pulumi-cli.sh) ..." >&2
    sleep 30
  done
  pulumi_cmd="$(bash "$here/pulumi-cli.sh")/pulumi"
fi
if [ -x "$plugin" ]; then
  "$pulumi_cmd" plugin install resource azuread "$plugin_version" --file "$plugin" >&2
else
  "$pulumi_cmd" plugin install resource azuread "$plugin_version" >&2
fi
echo "azuread-cli: pulumi-azuread plugin $plugin_version installed for $pulumi_cmd" >&2
echo "$bin"
