#!/usr/bin/env bash
# Builds a modern Docker Engine (dockerd and docker-proxy, Apache-2.0, pinned) from its Go module with the
# machine's Go, and caches both outside the repository, keyed by version. A second run costs nothing.
# Debian ships only Engine 20.10; `sandbox.sh up --engine 28` runs these binaries instead (with Debian's
# containerd and runc). The module `github.com/docker/docker@vX+incompatible` has no go.mod: its zip carries
# vendor.mod/vendor.sum (moby's real dependency set), which become the go.mod/go.sum of a small wrapper module.
# Usage: build-engine.sh  → prints the folder holding the cached dockerd and docker-proxy on stdout.
set -euo pipefail
VERSION="${ENGINE_VERSION:-28.5.2}"
CACHE="${STACK_CACHE_DIR:-/var/cache/stack}"
OUT="$CACHE/engine-$VERSION"
MODULE=github.com/docker/docker
verified() { [ -x "$OUT/dockerd" ] && [ -x "$OUT/docker-proxy" ] && "$OUT/dockerd" --version 2>/dev/null | grep -q "version $VERSION,"; }
if verified; then echo "$OUT"; exit 0; fi

command -v go >/dev/null || { echo "build-engine: go not found on PATH" >&2; exit 1; }
export GOFLAGS=-mod=mod GOTOOLCHAIN=local CGO_ENABLED=0
WORK="$(mktemp -d "${TMPDIR:-/tmp}/engine-build.XXXXXX")"
trap 'chmod -R u+w "$WORK" 2>/dev/null; rm -rf "$WORK"' EXIT
echo "build-engine: fetching $MODULE@v$VERSION+incompatible" >&2
DIR="$(cd "$WORK" && go mod download -json "$MODULE@v$VERSION+incompatible" | sed -n 's/^\s*"Dir": "\(.*\)",$/\1/p')"
[ -n "$DIR" ] && [ -f "$DIR/vendor.mod" ] || { echo "build-engine: module download failed (no vendor.mod)" >&2; exit 1; }
mkdir "$WORK/src"; cd "$WORK/src"
# vendor.mod names the module itself; the wrapper takes another name and requires the real one.
grep -v '^\s*//' "$DIR/vendor.mod" | sed "s|^module $MODULE\$|module stack.local/engine-build|" >go.mod
printf '\nrequire %s v%s+incompatible\n' "$MODULE" "$VERSION" >>go.mod
cp "$DIR/vendor.sum" go.sum; chmod u+w go.mod go.sum
echo "build-engine: building dockerd and docker-proxy $VERSION (first time: about 10 minutes)" >&2
mkdir -p "$OUT"
for cmd in dockerd docker-proxy; do
  go build -trimpath -tags 'netgo osusergo static_build exclude_graphdriver_btrfs' \
    -ldflags "-w -X $MODULE/dockerversion.Version=$VERSION" -o "$OUT/$cmd.tmp" "$MODULE/cmd/$cmd" >&2
done
for cmd in dockerd docker-proxy; do mv "$OUT/$cmd.tmp" "$OUT/$cmd"; done
verified || { echo "build-engine: $OUT/dockerd does not report version $VERSION: $("$OUT/dockerd" --version 2>&1)" >&2; exit 1; }
"$OUT/dockerd" --version >&2
echo "$OUT"
