#!/usr/bin/env bash
# Builds the consul binary from its Go module (MPL-2.0 release, pinned) with the machine's Go,
# and caches it outside the repository, keyed by version. A second run costs nothing.
# Usage: build-consul.sh  → prints the path of the cached binary on stdout.
set -euo pipefail
VERSION="${CONSUL_VERSION:-v1.14.11}"   # last MPL-2.0 release without the BUSL sub-modules
CACHE="${STACK_CACHE_DIR:-/var/cache/stack}"
BIN="$CACHE/consul-$VERSION/consul"
if [ -x "$BIN" ] && "$BIN" version >/dev/null 2>&1; then echo "$BIN"; exit 0; fi

command -v go >/dev/null || { echo "build-consul: go not found on PATH" >&2; exit 1; }
export GOFLAGS=-mod=mod GOTOOLCHAIN=local
WORK="$(mktemp -d "${TMPDIR:-/tmp}/consul-build.XXXXXX")"
trap 'chmod -R u+w "$WORK" 2>/dev/null; rm -rf "$WORK"' EXIT
echo "build-consul: fetching github.com/hashicorp/consul@$VERSION" >&2
DIR="$(cd "$WORK" && go mod download -json "github.com/hashicorp/consul@$VERSION" | sed -n 's/^\s*"Dir": "\(.*\)",$/\1/p')"
[ -n "$DIR" ] || { echo "build-consul: module download failed" >&2; exit 1; }
cp -r "$DIR" "$WORK/src"; chmod -R u+w "$WORK/src"; cd "$WORK/src"
# The release's go.mod points three sub-modules at local folders; their required versions are published.
go mod edit -dropreplace=github.com/hashicorp/consul/api \
            -dropreplace=github.com/hashicorp/consul/sdk \
            -dropreplace=github.com/hashicorp/consul/proto-public
echo "build-consul: building (first time: several minutes)" >&2
mkdir -p "$(dirname "$BIN")"
go build -mod=mod -trimpath -ldflags="-checklinkname=0 -s -w -X github.com/hashicorp/consul/version.GitCommit=release" -o "$BIN.tmp" . >&2
mv "$BIN.tmp" "$BIN"
"$BIN" version >&2
echo "$BIN"
