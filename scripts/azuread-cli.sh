#!/usr/bin/env bash
# Builds OpenTofu and terraform-provider-azuread from their Go modules, once, into a cache outside
# the repository, and writes a CLI configuration that uses the provider through dev_overrides (no
# registry access). Prints the bin directory on stdout (progress and timings go to stderr), so:
#   bin="$(bash scripts/azuread-cli.sh)"; export TF_CLI_CONFIG_FILE="$bin/tofurc"; "$bin/tofu" ...
#
# Pins: OpenTofu in scripts/azuread-cli/go.mod (with go.sum); the provider below. The provider's v3
# tags carry no /v3 module suffix, so Go knows release vX.Y.Z of it only by its pseudo-version
# (v1.6.1-0.<commit time>-<commit>: v1.6.0 is the last tag valid for the module path).
# Exit codes: 0 built; 1 a build failed; 3 the Go module proxy does not serve the provider version
# (the proxy's answer is printed as is).
set -euo pipefail
AZUREAD_RELEASE=v3.9.0
AZUREAD_MODULE_VERSION=v1.6.1-0.20260618210114-df2a07a33712   # = tag v3.9.0, commit df2a07a33712
src="$(cd "$(dirname "$0")/azuread-cli" && pwd)"
tofu_version=$(sed -n 's#^[[:space:]]*github.com/opentofu/opentofu \(v[0-9][0-9.]*\).*#\1#p' "$src/go.mod")
[ -n "$tofu_version" ] || { echo "azuread-cli: no github.com/opentofu/opentofu version in $src/go.mod" >&2; exit 2; }
cache=${XDG_CACHE_HOME:-$HOME/.cache}/pulumi-msgraph-membership/azuread-cli-tofu-$tofu_version-azuread-$AZUREAD_RELEASE
bin=$cache/bin
mkdir -p "$bin"
command -v go >/dev/null 2>&1 || { echo "azuread-cli: Go 1.26+ is needed to build OpenTofu and the provider." >&2; exit 1; }

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
  echo "azuread-cli: built OpenTofu $tofu_version in $(( $(date +%s) - start )) s" >&2
fi

provider=$bin/terraform-provider-azuread
if [ -x "$provider" ]; then
  echo "azuread-cli: terraform-provider-azuread $AZUREAD_RELEASE already built in $bin" >&2
else
  start=$(date +%s)
  module=github.com/hashicorp/terraform-provider-azuread
  if ! answer=$(cd "$cache" && go mod download -json "$module@$AZUREAD_MODULE_VERSION" 2>&1) \
      || printf '%s' "$answer" | grep -q '"Error"'; then
    echo "azuread-cli: the Go module proxy does not serve $module@$AZUREAD_MODULE_VERSION ($AZUREAD_RELEASE):" >&2
    printf '%s\n' "$answer" >&2
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
  echo "azuread-cli: built terraform-provider-azuread $AZUREAD_RELEASE in $(( $(date +%s) - start )) s" >&2
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
echo "$bin"
