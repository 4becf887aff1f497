#!/usr/bin/env bash
# Builds the staging registry's image without any registry download, as build-consul-image.sh builds Consul's: a
# tiny root filesystem with Debian's docker-registry binary (package docker-registry: the CNCF distribution
# registry, Apache-2.0) and the C libraries it links, busybox, and /etc/docker/registry/config.yml (storage in
# /var/lib/registry — the stack's named volume —, deletes allowed, HTTP on :5000; TLS from the environment the
# stack sets); `docker import` of that tree, then a push to the registry the hosts can already pull from. Prints the
# image pinned by the digest the registry serves.
#
# Usage: build-registry-image.sh --registry HOST:PORT [--registry-bin PATH] [--tag TAG] [--docker-host URL]
#   --registry      a registry every staging host pulls from before the staging registry runs (the operator's)
#   --registry-bin  the registry binary (default: /usr/bin/docker-registry, apt-get install docker-registry)
#   --tag           the image tag (default: the binary's version, e.g. 2.8.2)
#   --docker-host   the daemon that imports and pushes (default: DOCKER_HOST, else the docker CLI's own default)
# Every value is the operator's (flags). Re-running it pushes the same content under the same tag.
set -euo pipefail

die() { echo "build-registry-image: $*" >&2; exit 1; }
usage() { sed -n '9,13p' "$0" | sed 's/^# \{0,1\}//' >&2; exit "${1:-1}"; }

registry="" registry_bin=/usr/bin/docker-registry tag="" docker_host="${DOCKER_HOST:-}"
while [ $# -gt 0 ]; do
  case "$1" in
    --registry) registry="${2:?--registry needs HOST:PORT}"; shift 2 ;;
    --registry-bin) registry_bin="${2:?--registry-bin needs a path}"; shift 2 ;;
    --tag) tag="${2:?--tag needs a value}"; shift 2 ;;
    --docker-host) docker_host="${2:?--docker-host needs a URL}"; shift 2 ;;
    -h|--help) usage 0 ;;
    *) echo "build-registry-image: unknown argument '$1'" >&2; usage ;;
  esac
done
[ -n "$registry" ] || die "--registry HOST:PORT is required (a registry the staging hosts pull from)"
[[ "$registry" =~ ^[A-Za-z0-9.-]+(:[0-9]+)?$ ]] || die "--registry '$registry' is not HOST[:PORT]"
[ -f "$registry_bin" ] && [ -x "$registry_bin" ] || die "$registry_bin is not an executable registry binary (apt-get install docker-registry, or --registry-bin)"
version="$("$registry_bin" --version | awk 'NR == 1 { sub(/^v/, "", $3); sub(/\+.*/, "", $3); print $3 }')"
[[ "$version" =~ ^[0-9]+\.[0-9]+\.[0-9]+ ]] || die "$registry_bin --version gave no version"
tag="${tag:-$version}"
[[ "$tag" =~ ^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$ ]] || die "--tag '$tag' is not a valid image tag"
image="$registry/stack-staging/registry:$tag"
here="$(cd "$(dirname "$0")" && pwd)"

dk() { if [ -n "$docker_host" ]; then docker -H "$docker_host" "$@"; else docker "$@"; fi; }

# shellcheck source=deploy/staging/image-lib.sh
. "$here/image-lib.sh"
root="$(image_rootfs)"
trap 'rm -rf "$root"' EXIT
mkdir -p "$root/etc/docker/registry" "$root/var/lib/registry"
cat >"$root/etc/docker/registry/config.yml" <<'YAML'
version: 0.1
log: { level: info, formatter: text }
storage:
  filesystem: { rootdirectory: /var/lib/registry }
  delete: { enabled: true }
http:
  addr: ':5000'
YAML
image_add_binary "$root" "$registry_bin" registry
image_push "$root" "$image" 'ENV PATH=/bin' 'ENTRYPOINT ["/bin/registry"]' \
  'CMD ["serve", "/etc/docker/registry/config.yml"]'
