# shellcheck shell=bash
# What build-consul-image.sh and build-registry-image.sh share: a tiny root filesystem (busybox for a shell in
# `docker exec`, /etc/passwd and /etc/group), a binary with the C libraries it links, and `docker import` of the tree
# with fixed timestamps, owners and order (the same files give the same layer, so the same digest), pushed to the
# operator's registry and printed pinned by the digest it serves. Sourced; the caller defines die() and dk().

# image_rootfs → a new temporary root filesystem (the caller removes it).
image_rootfs() {
  local root a
  [ -x /bin/busybox ] || die "/bin/busybox is missing (apt-get install busybox-static)"
  root="$(mktemp -d "${TMPDIR:-/tmp}/image-rootfs.XXXXXX")"
  mkdir -p "$root/bin" "$root/etc" "$root/tmp"
  cp /bin/busybox "$root/bin/busybox"
  for a in $("$root/bin/busybox" --list); do [ "$a" = busybox ] || ln -sf busybox "$root/bin/$a"; done
  printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n' >"$root/etc/passwd"
  printf 'root:x:0:\nnogroup:x:65534:\n' >"$root/etc/group"
  printf 'hosts: files dns\n' >"$root/etc/nsswitch.conf"
  chmod 1777 "$root/tmp"
  echo "$root"
}

# image_add_binary ROOT BINARY NAME: /bin/NAME; a dynamically linked binary brings its loader and libraries, at the
# same paths.
image_add_binary() {
  local root="$1" bin="$2" lib
  cp "$bin" "$root/bin/$3"
  if ldd "$bin" >/dev/null 2>&1; then
    for lib in $(ldd "$bin" | awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }'); do
      mkdir -p "$root$(dirname "$lib")"
      cp -L "$lib" "$root$lib"
    done
  fi
}

# image_push ROOT IMAGE CHANGE… : imports ROOT as IMAGE (REGISTRY/REPO:TAG) with the Dockerfile CHANGEs, pushes it,
# prints IMAGE's repository @ the digest the registry serves.
image_push() {
  local root="$1" image="$2" repo="${2%:*}" digest change args=()
  shift 2
  for change in "$@"; do args+=(-c "$change"); done
  tar --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner -C "$root" -c . |
    dk import "${args[@]}" - "$image" >/dev/null
  dk push -q "$image" >/dev/null
  digest="$(dk image inspect --format '{{range .RepoDigests}}{{println .}}{{end}}' "$image" | grep -F "$repo@" | head -1)"
  [[ "$digest" =~ @sha256:[0-9a-f]{64}$ ]] || die "the registry gave no digest for $image"
  echo "$digest"
}
