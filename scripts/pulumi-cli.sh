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
work=$cache/module  # builds run in a copy of our small module (go.mod/go.sum pin every module)
mkdir -p "$bin" "$work"

# Runs a build in $work with Go's output in $work/build.log: one line that counts the seconds (on a
# terminal; elsewhere one line before and one after), and the log's end when the build fails.
quiet_build() {  # WHAT COMMAND...
  local what=$1 log=$work/build.log start=$SECONDS pid status
  shift
  (cd "$work" && exec "$@") >"$log" 2>&1 &
  pid=$!
  if [ -t 2 ]; then
    while kill -0 "$pid" 2>/dev/null; do
      printf '\rpulumi-cli: building %s ... %d s ' "$what" $((SECONDS - start)) >&2
      sleep 1
    done
    printf '\n' >&2
  else
    echo "pulumi-cli: building $what (Go's output: $log) ..." >&2
  fi
  status=0; wait "$pid" || status=$?
  if [ "$status" -ne 0 ]; then
    tail -n 40 "$log" >&2
    echo "pulumi-cli: the build of $what failed after $((SECONDS - start)) s; the end of Go's output is above, all of it in $log." >&2
    return 1
  fi
  echo "pulumi-cli: built $what in $((SECONDS - start)) s (Go's output: $log)" >&2
}

if [ -x "$bin/pulumi" ] && [ "$("$bin/pulumi" version 2>/dev/null)" = "$version" ]; then
  echo "pulumi-cli: Pulumi CLI $version already built in $bin" >&2
else
  command -v go >/dev/null 2>&1 || {
    echo "pulumi-cli: Go is not installed, so the Pulumi CLI cannot be built here." >&2
    echo "Install Pulumi instead (https://www.pulumi.com/docs/iac/download-install/), or Go 1.26+ and run this again." >&2
    exit 1; }
  cp "$src/go.mod" "$src/go.sum" "$work/"
  if ! quiet_build "the Pulumi CLI $version from its Go module into $bin (once; about 7 minutes on 2 cores)" \
         go build -ldflags "-s -w -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=$version" \
         -o "$bin/pulumi.new" github.com/pulumi/pulumi/pkg/v3/cmd/pulumi; then
    echo "If a module or version is not served by the Go module proxy, the log above names it." >&2
    exit 1
  fi
  mv "$bin/pulumi.new" "$bin/pulumi"
fi

# The launcher's Pulumi.yaml reader, Go on Pulumi's own project loader (a shell or a bare python3
# cannot parse every YAML form): seconds to build beside the CLI, rebuilt when its source changes.
mkdir -p "$work/projectvenv"
if [ ! -x "$bin/pulumi-project-virtualenv" ] || ! cmp -s "$src/projectvenv/main.go" "$work/projectvenv/main.go" \
   || ! cmp -s "$src/go.sum" "$work/go.sum"; then
  cp "$src/go.mod" "$src/go.sum" "$work/" && cp "$src/projectvenv/main.go" "$work/projectvenv/main.go"
  if ! quiet_build "the launcher's Pulumi.yaml reader" \
         go build -ldflags "-s -w" -o "$bin/pulumi-project-virtualenv.new" ./projectvenv; then
    rm -f "$work/projectvenv/main.go"
    exit 1
  fi
  mv "$bin/pulumi-project-virtualenv.new" "$bin/pulumi-project-virtualenv"
fi

# The plugins are small files of ours. Each version of them gets a directory of its own, named by
# their content, beside hard links to the builds: two checkouts with different plugins (or one
# checkout changing them while another runs) never replace each other's. That directory is printed,
# and marked (its time) as printed now. From here on one run at a time, where flock exists.
plugin_files=("$src/language_host.py" "$src/dynamic_provider.py" "$src/sdk_check.py" "$src/python-plugin.sh")
out=$cache/bin-$(cat "${plugin_files[@]}" | sha1sum | cut -c1-12)
locked=
if command -v flock >/dev/null 2>&1; then
  exec 9>"$cache/.plugins.lock"
  if flock -w 120 9; then locked=1; fi
fi
if [ ! -x "$out/pulumi-resource-pulumi-python" ] || [ "$out/pulumi" -ot "$bin/pulumi" ] \
   || [ "$out/pulumi-project-virtualenv" -ot "$bin/pulumi-project-virtualenv" ]; then
  tmp=$(mktemp -d "$cache/.bin.XXXXXX")
  for built in pulumi pulumi-project-virtualenv; do
    ln -f "$bin/$built" "$tmp/$built" 2>/dev/null || cp -p "$bin/$built" "$tmp/$built"
  done
  cp "$src/language_host.py" "$src/dynamic_provider.py" "$src/sdk_check.py" "$tmp/"
  cp "$src/python-plugin.sh" "$tmp/pulumi-language-python"
  cp "$src/python-plugin.sh" "$tmp/pulumi-resource-pulumi-python"
  chmod 755 "$tmp" "$tmp/pulumi-language-python" "$tmp/pulumi-resource-pulumi-python"
  [ ! -e "$out" ] || rm -rf "$out"
  mv -T "$tmp" "$out" 2>/dev/null || rm -rf "$tmp"  # another run put the same files there first
fi
touch "$out"

# Plugins no run uses any more: the copies $bin held before each version got a directory of its
# own, other versions' bin-<hash> directories, and the half-made directories of interrupted runs.
# One is removed only when all of these hold: it is not the directory printed; no run of this script
# printed it (or, in $bin, wrote it) for 7 days, so a shell that put it on PATH lately keeps it; no
# running process was started from it or names a file in it (Linux's /proc; without /proc, or
# without the lock above, nothing is removed). The builds in $bin stay.
stale_days=7
if [ -n "$locked" ] && [ -r /proc/self/cmdline ]; then
  running=$( { find /proc/[0-9]*/exe -maxdepth 0 -printf '%l\n'; cat /proc/[0-9]*/cmdline | tr '\0' '\n'; } \
             2>/dev/null || true)
  unused() {  # PATH...: none was changed for $stale_days days, and no process runs from or names them
    local p
    for p in "$@"; do
      [ -z "$(find "$p" -maxdepth 0 -mtime -"$stale_days" 2>/dev/null)" ] || return 1
      case "$running" in *"$p"/*|*"$p"$'\n'*) return 1 ;; esac
    done
  }
  old_copies=()
  for name in language_host.py dynamic_provider.py sdk_check.py pulumi-language-python pulumi-resource-pulumi-python; do
    [ ! -e "$bin/$name" ] || old_copies+=("$bin/$name")
  done
  # the old copies go together, and only when no process runs from $bin at all
  if [ ${#old_copies[@]} -gt 0 ] && unused "${old_copies[@]}" && case "$running" in *"$bin"/*) false ;; *) true ;; esac; then
    rm -f "${old_copies[@]}"
  fi
  for dir in "$cache"/bin-* "$cache"/.bin.*; do
    if [ -d "$dir" ] && [ "$dir" != "$out" ] && unused "$dir"; then rm -rf "$dir"; fi
  done
fi
echo "$out"
