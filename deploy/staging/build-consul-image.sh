#!/usr/bin/env bash
# Builds the Consul server image of the staging bootstrap without any registry download: a tiny root filesystem with
# the consul binary (and the C libraries it links, when it is not static), busybox for a shell in `docker exec`, and
# an /etc/passwd; `docker import` of that tree, then a push to the operator's registry. Prints the image pinned by
# the digest the registry serves (what the consul stack should run: nobody can move it).
#
# Usage: build-consul-image.sh --registry HOST:PORT [--consul-bin PATH] [--tag TAG] [--docker-host URL]
#   --registry     the registry every staging host pulls from (the operator's)
#   --consul-bin   the consul binary (default: what deploy/sandbox/build-consul.sh prints, built once and cached)
#   --tag          the image tag (default: the binary's version, e.g. 1.14.11)
#   --docker-host  the daemon that imports and pushes (default: DOCKER_HOST, else the docker CLI's own default)
# Every value is the operator's (flags); nothing is read from a stack file. Re-running it pushes the same content
# under the same tag.
set -euo pipefail

die() { echo "build-consul-image: $*" >&2; exit 1; }
usage() { sed -n '7,11p' "$0" | sed 's/^# \{0,1\}//' >&2; exit "${1:-1}"; }

registry="" consul_bin="" tag="" docker_host="${DOCKER_HOST:-}"
while [ $# -gt 0 ]; do
  case "$1" in
    --registry) registry="${2:?--registry needs HOST:PORT}"; shift 2 ;;
    --consul-bin) consul_bin="${2:?--consul-bin needs a path}"; shift 2 ;;
    --tag) tag="${2:?--tag needs a value}"; shift 2 ;;
    --docker-host) docker_host="${2:?--docker-host needs a URL}"; shift 2 ;;
    -h|--help) usage 0 ;;
    *) echo "build-consul-image: unknown argument '$1'" >&2; usage ;;
  esac
done
[ -n "$registry" ] || die "--registry HOST:PORT is required (the registry the staging hosts pull from)"
[[ "$registry" =~ ^[A-Za-z0-9.-]+(:[0-9]+)?$ ]] || die "--registry '$registry' is not HOST[:PORT]"
here="$(cd "$(dirname "$0")" && pwd)"
if [ -z "$consul_bin" ]; then consul_bin="$(bash "$here/../sandbox/build-consul.sh")"; fi
[ -f "$consul_bin" ] && [ -x "$consul_bin" ] || die "$consul_bin is not an executable consul binary (--consul-bin)"
version="$("$consul_bin" version | awk 'NR == 1 { sub(/^v/, "", $2); print $2 }')"
[[ "$version" =~ ^[0-9]+\.[0-9]+\.[0-9]+ ]] || die "$consul_bin version gave no version"
tag="${tag:-$version}"
[[ "$tag" =~ ^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$ ]] || die "--tag '$tag' is not a valid image tag"
image="$registry/stack-staging/consul:$tag"

dk() { if [ -n "$docker_host" ]; then docker -H "$docker_host" "$@"; else docker "$@"; fi; }

# shellcheck source=deploy/staging/image-lib.sh
. "$here/image-lib.sh"
root="$(image_rootfs)"
trap 'rm -rf "$root"' EXIT
mkdir -p "$root/consul/data" "$root/consul/config"
image_add_binary "$root" "$consul_bin" consul
image_push "$root" "$image" 'ENV PATH=/bin' 'ENTRYPOINT ["/bin/consul"]' 'CMD ["version"]'
