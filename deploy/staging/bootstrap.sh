#!/usr/bin/env bash
# Brings a staging environment up from nothing on hosts that run only dockerd (deploy/staging/README.md):
#   check        stack hosts check: every host reachable, each one's engine, clock, disk (first, before any write)
#   consul       the Consul server stack (consul/compose.yaml), state in the local store; waits for a raft leader
#                with three voters
#   registry     the registry stack (registry/compose.yaml: one registry, HTTPS, storage in a named volume) with
#                that Consul as its state store; waits until it answers
#   push IMAGE   copies IMAGE (on the --docker-host daemon, or pulled by it) into the staging registry as
#                REGISTRY/staging/NAME:TAG and prints it by digest: the --app-image to run
#   app          the application stack (app/compose.yaml + app/ports.yaml) with that Consul as its state store
#   up           check, consul, registry (when --registry-image is given), app — in that order
#   pr-up N      the pull request N's environment: -p pr-N, app/compose.yaml alone (no published port)
#   pr-down N    removes it, named volumes included (destroy --prune-volumes), when the request closes
#   down         removes the staging environment: the application stack, the registry stack (when
#                --registry-image is given), then the Consul stack, named volumes included (the registry's images
#                and the Consul data too: every stack's history in it is gone; remove PR environments first)
#
# Usage: bootstrap.sh -i INVENTORY [options] COMMAND [N]
#   -i, --inventory FILE   the staging hosts (required); the Consul servers run on those labelled staging.consul=server
#   --servers A,B,C        the three Consul servers' underlay addresses (env CONSUL_SERVERS)
#   --network CIDR         the hosts' underlay network, where each server binds (env CONSUL_NETWORK)
#   --consul-image REF     the Consul image, by digest (env CONSUL_IMAGE; build-consul-image.sh prints it)
#   --registry HOST:PORT   the staging registry's address as the hosts pull from it (env STAGING_REGISTRY)
#   --registry-image REF   the registry image, by digest (env REGISTRY_IMAGE; build-registry-image.sh prints it)
#   --registry-cert FILE   its TLS certificate for that address, --registry-key FILE its key (env
#                          REGISTRY_TLS_CERT_FILE, REGISTRY_TLS_KEY_FILE); the hosts must trust it (README)
#   --docker-host URL      the daemon `push` tags and pushes with (env DOCKER_HOST, else the docker CLI's default)
#   --app-image REF        the application image (env APP_IMAGE)
#   --app-port PORT        the staging environment's published port (env APP_PORT, default 8080)
#   --state-dir DIR        the local state of the Consul stack itself (env STACK_STATE_DIR; stack's default otherwise)
#   --stack PATH           the stack command (env STACK_BIN, default: stack on PATH)
#   --wait SECONDS         how long `consul` waits for a leader, `registry` for an answer (default 120)
# Every value is the operator's (flags or environment); the stack files only read them through interpolation, and
# nothing of theirs is evaluated by this script.
set -euo pipefail

die() { echo "bootstrap: $*" >&2; exit 1; }
log() { echo "bootstrap: $*" >&2; }
usage() { sed -n '2,34p' "$0" | sed 's/^# \{0,1\}//' >&2; exit "${1:-1}"; }

here="$(cd "$(dirname "$0")" && pwd)"
inventory="" servers="${CONSUL_SERVERS:-}" network="${CONSUL_NETWORK:-}" consul_image="${CONSUL_IMAGE:-}"
registry="${STAGING_REGISTRY:-}" registry_image="${REGISTRY_IMAGE:-}" registry_cert="${REGISTRY_TLS_CERT_FILE:-}"
registry_key="${REGISTRY_TLS_KEY_FILE:-}" docker_host="${DOCKER_HOST:-}"
app_image="${APP_IMAGE:-}" app_port="${APP_PORT:-8080}" state_dir="${STACK_STATE_DIR:-}" stack_bin="${STACK_BIN:-stack}"
wait_s=120
while [ $# -gt 0 ]; do
  case "$1" in
    -i|--inventory) inventory="${2:?$1 needs a file}"; shift 2 ;;
    --servers) servers="${2:?--servers needs A,B,C}"; shift 2 ;;
    --network) network="${2:?--network needs a CIDR}"; shift 2 ;;
    --consul-image) consul_image="${2:?--consul-image needs an image}"; shift 2 ;;
    --registry) registry="${2:?--registry needs HOST:PORT}"; shift 2 ;;
    --registry-image) registry_image="${2:?--registry-image needs an image}"; shift 2 ;;
    --registry-cert) registry_cert="${2:?--registry-cert needs a file}"; shift 2 ;;
    --registry-key) registry_key="${2:?--registry-key needs a file}"; shift 2 ;;
    --docker-host) docker_host="${2:?--docker-host needs a URL}"; shift 2 ;;
    --app-image) app_image="${2:?--app-image needs an image}"; shift 2 ;;
    --app-port) app_port="${2:?--app-port needs a port}"; shift 2 ;;
    --state-dir) state_dir="${2:?--state-dir needs a folder}"; shift 2 ;;
    --stack) stack_bin="${2:?--stack needs a path}"; shift 2 ;;
    --wait) wait_s="${2:?--wait needs seconds}"; shift 2 ;;
    -h|--help) usage 0 ;;
    -*) echo "bootstrap: unknown option '$1'" >&2; usage ;;
    *) break ;;
  esac
done
[ $# -ge 1 ] || usage
cmd="$1"; shift
[ -n "$inventory" ] || die "-i INVENTORY is required (the staging hosts)"
[ -f "$inventory" ] || die "inventory $inventory is not a file"
[[ "$wait_s" =~ ^[0-9]+$ ]] || die "--wait '$wait_s' is not a number of seconds"
command -v "$stack_bin" >/dev/null || die "the stack command '$stack_bin' is not found (--stack PATH or STACK_BIN)"

ipv4='^([0-9]{1,3}\.){3}[0-9]{1,3}$'
server_list() {
  IFS=',' read -r -a srv <<<"$servers"
  [ "${#srv[@]}" = 3 ] || die "--servers needs exactly three addresses, A,B,C (got '${servers}')"
  local s; for s in "${srv[@]}"; do [[ "$s" =~ $ipv4 ]] || die "--servers: '$s' is not an IPv4 address"; done
}
# The Consul the application stacks keep their state in: the first server's HTTP API.
consul_addr() { server_list; echo "http://${srv[0]}:8500"; }

stack() { "$stack_bin" "$@"; }

# The Consul stack's own state is local (it cannot live in the Consul it creates): never the operator's
# CONSUL_HTTP_ADDR, and the inventory must not name a consul: either.
consul_stack() {
  ! grep -qE '^consul[[:space:]]*:' "$inventory" ||
    die "inventory $inventory names a consul: the Consul stack keeps its state locally; leave consul: out (the app steps pass --consul)"
  server_list
  [[ "$network" =~ ^([0-9]{1,3}\.){3}[0-9]{1,3}/[0-9]{1,2}$ ]] || die "--network CIDR is required (the hosts' underlay, e.g. 10.0.0.0/24)"
  [ -n "$consul_image" ] || die "--consul-image is required (deploy/staging/build-consul-image.sh prints it)"
  env -u CONSUL_HTTP_ADDR ${state_dir:+STACK_STATE_DIR="$state_dir"} \
    CONSUL_IMAGE="$consul_image" CONSUL_NETWORK="$network" \
    CONSUL_SERVER_1="${srv[0]}" CONSUL_SERVER_2="${srv[1]}" CONSUL_SERVER_3="${srv[2]}" \
    "$stack_bin" "$@" -i "$inventory" -f "$here/consul/compose.yaml"
}

wait_leader() {
  local addr deadline peers leader
  addr="$(consul_addr)"; deadline=$((SECONDS + wait_s))
  log "waiting for a Consul leader with three voters at $addr (at most ${wait_s}s)"
  while :; do
    leader="$(curl -sf --max-time 3 "$addr/v1/status/leader" || true)"
    peers="$(curl -sf --max-time 3 "$addr/v1/status/peers" || true)"
    if [[ "$leader" =~ :8300\"$ ]] && [ "$(grep -o ':8300' <<<"$peers" | wc -l)" = 3 ]; then
      log "Consul leader $leader, peers $peers"; return 0
    fi
    [ "$SECONDS" -lt "$deadline" ] || die "no Consul leader with three voters at $addr after ${wait_s}s (leader: '${leader}', peers: '${peers}')"
    sleep 1
  done
}

registry_addr() {
  [[ "$registry" =~ ^[A-Za-z0-9.-]+:[0-9]{1,5}$ ]] ||
    die "--registry HOST:PORT is required (the staging registry as the hosts pull from it; got '${registry}')"
}

# The registry stack keeps its state in the staging Consul, like the application's. Its TLS certificate and key
# reach it as secrets from the environment (never on a command line).
registry_stack() {
  registry_addr
  [ -n "$registry_image" ] || die "--registry-image is required (deploy/staging/build-registry-image.sh prints it)"
  [ -f "$registry_cert" ] || die "--registry-cert FILE is required: the registry's TLS certificate (got '${registry_cert}')"
  [ -f "$registry_key" ] || die "--registry-key FILE is required: the registry's TLS key (got '${registry_key}')"
  REGISTRY_IMAGE="$registry_image" REGISTRY_PORT="${registry##*:}" \
    REGISTRY_TLS_CERT="$(cat "$registry_cert")" REGISTRY_TLS_KEY="$(cat "$registry_key")" \
    "$stack_bin" "$@" -i "$inventory" --consul "$(consul_addr)" -f "$here/registry/compose.yaml"
}

# Ready when its API answers (-k: a readiness probe reads nothing from it; the hosts verify its certificate).
wait_registry() {
  local deadline=$((SECONDS + wait_s)) code
  log "waiting for the registry at https://$registry/v2/ (at most ${wait_s}s)"
  while :; do
    code="$(curl -sk --max-time 3 -o /dev/null -w '%{http_code}' "https://$registry/v2/" || true)"
    [ "$code" != 200 ] || return 0
    [ "$SECONDS" -lt "$deadline" ] || die "the registry at https://$registry/v2/ did not answer 200 after ${wait_s}s (last: '${code}')"
    sleep 1
  done
}

dk() { if [ -n "$docker_host" ]; then docker -H "$docker_host" "$@"; else docker "$@"; fi; }

# push IMAGE → REGISTRY/staging/NAME:TAG by digest (NAME:TAG: the image's last path component, tag latest if none).
do_push() {
  [ $# = 1 ] && [[ "$1" =~ ^[A-Za-z0-9][A-Za-z0-9._/:@-]*$ ]] || die "push needs one image reference (got '${*}')"
  registry_addr
  local name target digest
  name="${1##*/}"; name="${name%%@*}"; [[ "$name" == *:* ]] || name="$name:latest"
  target="$registry/staging/$name"
  dk image inspect "$1" >/dev/null 2>&1 || dk pull -q "$1" >/dev/null || die "the docker daemon could not pull $1"
  dk tag "$1" "$target"
  dk push -q "$target" >/dev/null || die "pushing $target failed (does the docker daemon trust the registry's certificate?)"
  digest="$(dk image inspect --format '{{range .RepoDigests}}{{println .}}{{end}}' "$target" | grep -F "${target%:*}@" | head -1)"
  [[ "$digest" =~ @sha256:[0-9a-f]{64}$ ]] || die "the registry gave no digest for $target"
  echo "$digest"
}

app_env() {
  [ -n "$app_image" ] || die "--app-image is required (the application image)"
  [[ "$app_port" =~ ^[0-9]{1,5}$ ]] || die "--app-port '$app_port' is not a port"
}

pr_name() {
  [ $# = 1 ] && [[ "$1" =~ ^[0-9]{1,9}$ ]] || die "$cmd needs the pull request's number (got '${*}')"
  echo "pr-$1"
}

do_check() { stack hosts check -i "$inventory"; }
do_consul() { consul_stack apply --yes; wait_leader; }
do_registry() { registry_stack apply --yes; wait_registry; }
do_app() {
  app_env
  APP_IMAGE="$app_image" APP_PORT="$app_port" stack apply --yes -i "$inventory" --consul "$(consul_addr)" \
    -f "$here/app/compose.yaml" -f "$here/app/ports.yaml"
}

case "$cmd" in
  check) do_check ;;
  consul) do_consul ;;
  app) do_app ;;
  registry) do_registry ;;
  push) do_push "$@" ;;
  up)
    do_check; do_consul
    if [ -n "$registry_image" ]; then do_registry; else log "no --registry-image: the hosts pull from your registry"; fi
    do_app ;;
  down)
    app_env
    APP_IMAGE="$app_image" stack destroy --yes --prune-volumes -i "$inventory" --consul "$(consul_addr)" \
      -f "$here/app/compose.yaml" -f "$here/app/ports.yaml"
    [ -z "$registry_image" ] || registry_stack destroy --yes --prune-volumes
    consul_stack destroy --yes --prune-volumes ;;
  pr-up)
    app_env; name="$(pr_name "$@")"
    APP_IMAGE="$app_image" stack apply --yes -i "$inventory" --consul "$(consul_addr)" -p "$name" \
      -f "$here/app/compose.yaml" ;;
  pr-down)
    app_env; name="$(pr_name "$@")"
    APP_IMAGE="$app_image" stack destroy --yes --prune-volumes -i "$inventory" --consul "$(consul_addr)" -p "$name" \
      -f "$here/app/compose.yaml" ;;
  *) die "unknown command '$cmd' (check, consul, registry, push IMAGE, app, up, pr-up N, pr-down N, down)" ;;
esac
