#!/usr/bin/env bash
# Builds the Pulumi CLI from its Go modules, once, into a cache outside the repository, together
# with the two Python plugins it needs for this project: the language host and the launcher of
# Python dynamic providers (both ours, in scripts/pulumi-cli/). Prints the bin directory on stdout
# (progress goes to stderr), so:  export PATH="$(bash scripts/pulumi-cli.sh):$PATH"
#
# The version is pinned in one place: scripts/pulumi-cli/go.mod (with go.sum). Needs Go and the
# Go module proxy. A second run only checks the build and refreshes the plugins: seconds.
set -euo pipefail
src="$(cd "$(dirname "$0")/pulumi-cli" && pwd)"
version=$(sed -n 's#^[[:space:]]*github.com/pulumi/pulumi/pkg/v3 \(v[0-9][0-9.]*\).*#\1#p' "$src/go.mod")
[ -n "$version" ] || { echo "pulumi-cli: no github.com/pulumi/pulumi/pkg/v3 version in $src/go.mod" >&2; exit 2; }
cache=${XDG_CACHE_HOME:-$HOME/.cache}/pulumi-msgraph-membership/pulumi-$version
bin=$cache/bin
mkdir -p "$bin"

if [ -x "$bin/pulumi" ] && [ "$("$bin/pulumi" version 2>/dev/null)" = "$version" ]; then
  echo "pulumi-cli: Pulumi CLI $version already built in $bin" >&2
else
  command -v go >/dev/null 2>&1 || {
    echo "pulumi-cli: Go is not installed, so the Pulumi CLI cannot be built here." >&2
    echo "Install Pulumi instead (https://www.pulumi.com/docs/iac/download-install/), or Go 1.26+ and run this again." >&2
    exit 1; }
  echo "pulumi-cli: building the Pulumi CLI $version from its Go module into $bin (one-time; several minutes on 2 cores) ..." >&2
  start=$(date +%s)
  # Build from a copy of our small module (go.mod/go.sum pin every module), so the checkout stays clean.
  work=$cache/module
  mkdir -p "$work"
  cp "$src/go.mod" "$src/go.sum" "$work/"
  if ! (cd "$work" && go build \
          -ldflags "-s -w -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=$version" \
          -o "$bin/pulumi.new" github.com/pulumi/pulumi/pkg/v3/cmd/pulumi); then
    echo "pulumi-cli: the build of github.com/pulumi/pulumi/pkg/v3/cmd/pulumi@$version failed (see above)." >&2
    echo "If a module or version is not served by the Go module proxy, the error above names it." >&2
    exit 1
  fi
  mv "$bin/pulumi.new" "$bin/pulumi"
  echo "pulumi-cli: built $("$bin/pulumi" version) in $(( $(date +%s) - start )) s" >&2
fi

# The plugins are small files of ours: copied on every run so they follow the checkout.
install_file() {  # SRC DEST
  cmp -s "$1" "$2" || { cp "$1" "$2.tmp" && chmod +x "$2.tmp" && mv "$2.tmp" "$2"; }
}
install_file "$src/language_host.py" "$bin/language_host.py"
install_file "$src/python-plugin.sh" "$bin/pulumi-language-python"
install_file "$src/python-plugin.sh" "$bin/pulumi-resource-pulumi-python"
echo "$bin"
