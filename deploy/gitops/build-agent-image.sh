#!/usr/bin/env bash
# Builds the reconcile agent's container image without Docker Hub, from Debian packages and this checkout:
#   1. a base root filesystem from Debian's own mirror: `debootstrap --variant=minbase --include=nodejs,git,…
#      trixie` (Debian 13: its nodejs is 20.19, what stack needs; bookworm's 18 is too old), made once and cached
#      as a tar under /var/cache/stack (STACK_CACHE_DIR), then `docker import`ed as REGISTRY/stack-reconcile/base;
#   2. deploy/gitops/Dockerfile on top of it (`docker build`, FROM that base): this checkout's built stack (bin/,
#      dist/ with its one-file bundle, schemas/, package.json) in /opt/stack, the user `stack`;
#   3. a push to the operator's registry. Prints the image pinned by the digest the registry serves.
#
# Usage: build-agent-image.sh --registry HOST:PORT [--tag TAG] [--docker-host URL] [--mirror URL]
#        build-agent-image.sh --base-only [--mirror URL]   (step 1 alone: prints the cached tar; CI's setup runs it)
#   --registry     the registry the agent's host pulls from (the operator's)
#   --tag          the image tag (default: the version in package.json)
#   --docker-host  the daemon that imports, builds and pushes (default: DOCKER_HOST, else the docker CLI's default)
#   --mirror       the Debian mirror debootstrap reads (default http://deb.debian.org/debian); only on the first run
# Needs, as root: debootstrap (apt-get install debootstrap), the docker CLI, and `npm run build` done in this checkout.
set -euo pipefail

die() { echo "build-agent-image: $*" >&2; exit 1; }
log() { echo "build-agent-image: $*" >&2; }
usage() { sed -n '10,16p' "$0" | sed 's/^# \{0,1\}//' >&2; exit "${1:-1}"; }

SUITE=trixie
PACKAGES=nodejs,git,ca-certificates,openssh-client
registry="" tag="" docker_host="${DOCKER_HOST:-}" mirror="http://deb.debian.org/debian" base_only=""
while [ $# -gt 0 ]; do
  case "$1" in
    --registry) registry="${2:?--registry needs HOST:PORT}"; shift 2 ;;
    --tag) tag="${2:?--tag needs a value}"; shift 2 ;;
    --docker-host) docker_host="${2:?--docker-host needs a URL}"; shift 2 ;;
    --mirror) mirror="${2:?--mirror needs a URL}"; shift 2 ;;
    --base-only) base_only=1; shift ;;
    -h|--help) usage 0 ;;
    *) echo "build-agent-image: unknown argument '$1'" >&2; usage ;;
  esac
done
[[ "$mirror" =~ ^https?://[A-Za-z0-9.:/_-]+$ ]] || die "--mirror '$mirror' is not an http(s) URL"
if [ -z "$base_only" ]; then
  [ -n "$registry" ] || die "--registry HOST:PORT is required (the registry the agent's host pulls from)"
  [[ "$registry" =~ ^[A-Za-z0-9.-]+(:[0-9]+)?$ ]] || die "--registry '$registry' is not HOST[:PORT]"
fi
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
if [ -z "$base_only" ]; then
  [ -f "$repo/dist/cli/bundle.cjs" ] && [ -f "$repo/bin/stack.js" ] ||
    die "$repo has no built stack (dist/cli/bundle.cjs): run npm run build there first"
fi
version="$(sed -n 's/^  "version": "\(.*\)",$/\1/p' "$repo/package.json")"
tag="${tag:-$version}"
[[ "$tag" =~ ^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$ ]] || die "--tag '$tag' is not a valid image tag"
image="$registry/stack-reconcile/agent:$tag"

dk() { if [ -n "$docker_host" ]; then docker -H "$docker_host" "$@"; else docker "$@"; fi; }

# The base root filesystem, once per suite and package list: debootstrap needs the network (Debian's mirror) and
# a few minutes; every later build reads the cached tar.
base_tar() {
  local key cache root
  key="$(printf '%s %s' "$SUITE" "$PACKAGES" | sha256sum | cut -c1-12)"
  cache="${STACK_CACHE_DIR:-/var/cache/stack}/agent-base"
  if [ -s "$cache/$SUITE-$key.tar" ]; then echo "$cache/$SUITE-$key.tar"; return 0; fi
  command -v debootstrap >/dev/null || die "debootstrap is missing (apt-get install debootstrap)"
  [ "$(id -u)" = 0 ] || die "debootstrap needs root (the first build only; the result is cached in $cache)"
  mkdir -p "$cache"
  root="$(mktemp -d "$cache/rootfs.XXXXXX")"
  log "debootstrap $SUITE ($PACKAGES) from $mirror, once (cached in $cache)"
  debootstrap --variant=minbase --include="$PACKAGES" "$SUITE" "$root" "$mirror" >&2 ||
    { rm -rf "$root"; die "debootstrap failed (see above); is $mirror reachable?"; }
  # What an agent never reads: downloaded packages, package lists, logs, documentation, translations.
  rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/* "$root"/var/log/*.log \
    "$root"/usr/share/doc/* "$root"/usr/share/man/* "$root"/usr/share/info/* "$root"/usr/share/locale/*
  tar --sort=name --numeric-owner -C "$root" -c . >"$cache/$SUITE-$key.tar.tmp"
  rm -rf "$root"
  mv "$cache/$SUITE-$key.tar.tmp" "$cache/$SUITE-$key.tar"
  echo "$cache/$SUITE-$key.tar"
}

# The base image on the building daemon, tagged by the tar's content: imported only when that daemon lacks it.
base_image() {
  local tar sum ref
  tar="$(base_tar)"
  sum="$(sha256sum "$tar" | cut -c1-12)"
  ref="$registry/stack-reconcile/base:$SUITE-$sum"
  if ! dk image inspect "$ref" >/dev/null 2>&1; then
    log "docker import $tar as $ref"
    dk import -c 'ENV PATH=/usr/local/bin:/usr/bin:/bin LANG=C.UTF-8' - "$ref" <"$tar" >/dev/null
  fi
  echo "$ref"
}

# The build context: the Dockerfile and this checkout's built stack — bin/, dist/ (mtimes kept, so bin/stack.js
# picks the bundle), schemas/, package.json and, from node_modules, the packages package-lock.json does not mark as
# development-only (the compiled schema validators need ajv's runtime): what `npm ci --omit=dev` would install.
context() {
  local ctx="$1" deps
  cp "$here/Dockerfile" "$ctx/Dockerfile"
  mkdir -p "$ctx/stack"
  cp -a "$repo/bin" "$repo/dist" "$repo/schemas" "$repo/package.json" "$ctx/stack/"
  [ ! -f "$repo/LICENSE" ] || cp "$repo/LICENSE" "$ctx/stack/"
  deps="$(node -e '
    const fs = require("node:fs");
    const lock = JSON.parse(fs.readFileSync(process.argv[1] + "/package-lock.json", "utf8"));
    for (const [p, v] of Object.entries(lock.packages ?? {}))
      if (p.startsWith("node_modules/") && !v.dev && fs.existsSync(process.argv[1] + "/" + p)) console.log(p);
  ' "$repo")" || die "$repo/package-lock.json could not be read"
  grep -qx 'node_modules/ajv' <<<"$deps" || die "$repo/node_modules lacks stack's dependencies: run npm ci there first"
  # shellcheck disable=SC2086 # one path a line, none with spaces (npm package paths)
  (cd "$repo" && cp -a --parents $deps "$ctx/stack/")
}

if [ -n "$base_only" ]; then base_tar; exit 0; fi
base="$(base_image)"
ctx="$(mktemp -d "${TMPDIR:-/tmp}/agent-context.XXXXXX")"
trap 'rm -rf "$ctx"' EXIT
context "$ctx"
log "docker build $image (FROM $base)"
# The classic builder: FROM the base the daemon has, no BuildKit needed; its output only when it fails.
out="$(DOCKER_BUILDKIT=0 dk build -q --force-rm --build-arg "BASE=$base" -t "$image" "$ctx" 2>&1)" ||
  { echo "$out" >&2; die "docker build of $image failed (above)"; }
dk push -q "$image" >/dev/null
digest="$(dk image inspect --format '{{range .RepoDigests}}{{println .}}{{end}}' "$image" | grep -F "$registry/stack-reconcile/agent@" | head -1)"
[[ "$digest" =~ @sha256:[0-9a-f]{64}$ ]] || die "the registry gave no digest for $image"
echo "$digest"
