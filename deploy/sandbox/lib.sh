# shellcheck shell=bash
# The sandbox's parts; sourced by sandbox.sh (which sets REPO and HERE).

# STACK_SANDBOX=NAME (a-z0-9, at most 5) runs another sandbox beside the default one (e.g. `bench`),
# with its own bridge, /24, namespaces, daemons, data and description (.sandbox-NAME/).
INSTANCE="${STACK_SANDBOX:-}"
[[ "$INSTANCE" =~ ^[a-z0-9]{0,5}$ ]] || { echo "sandbox: STACK_SANDBOX must be 1-5 of a-z0-9" >&2; exit 1; }
if [ -z "$INSTANCE" ]; then NET_INDEX=0; else NET_INDEX=$(( $(printf '%s' "$INSTANCE" | cksum | cut -d' ' -f1) % 200 + 1 )); fi
SUFFIX="${INSTANCE:+-$INSTANCE}"
NS_PREFIX="${INSTANCE:+$INSTANCE-}"  # network namespaces: infra, h1... (default) or NAME-infra, NAME-h1...
BR="stacksbx$NET_INDEX"            # the bridge every sandbox namespace hangs on
SUBNET="10.77.$NET_INDEX"          # a private /24; .1 the bridge, .2 infra, .11+ the hosts
BR_IP="$SUBNET.1"
INFRA_IP="$SUBNET.2"
DATA="/var/lib/stack-sandbox$SUFFIX"  # daemons' data, TLS material (outside any checkout: shared by worktrees)
RUN="/run/stack-sandbox$SUFFIX"       # sockets, pid files
STATE="$REPO/.sandbox$SUFFIX"         # this checkout's description: sandbox.json, inventory.yaml
TLS="$DATA/tls"
REGISTRY="$INFRA_IP:5000"          # open registry
REGISTRY_AUTH="$INFRA_IP:5001"     # htpasswd registry
REGISTRY_USER=stack
REGISTRY_PASSWORD=sandbox-secret
IMAGE_REPO=busybox
IMAGE_TAG=1.35
FW_TAG="stack-sandbox$SUFFIX"         # comment on every iptables rule the sandbox adds
SSH_DIR="$DATA/ssh"                   # the client key, known_hosts, and each host's sshd key and config
MAX_HOSTS=16
# The default instance also runs `s1`: a dockerd with no tcp listener at all, reached by stack over ssh:// only.
SSH_ONLY_HOSTS=(); [ -n "$INSTANCE" ] || SSH_ONLY_HOSTS=(s1)
DOCKER_CLI="$(command -v /usr/bin/docker || command -v docker || true)"

log() { printf 'sandbox: %s\n' "$*" >&2; }
die() { printf 'sandbox: error: %s\n' "$*" >&2; exit 1; }

# h1-h9 → .11-.19, h10-h16 → .110-.116 (clear of s1's .21), s1 → .21.
host_ip() {
  case "$1" in
    s*) echo "$SUBNET.$((20 + ${1#s}))" ;;
    *) local n="${1#h}"; if [ "$n" -lt 10 ]; then echo "$SUBNET.$((10 + n))"; else echo "$SUBNET.$((100 + n))"; fi ;;
  esac
}
host_bip() { case "$1" in s*) echo "172.31.$((20 + ${1#s})).1/24" ;; *) echo "172.31.${1#h}.1/24" ;; esac; }
ssh_only() { [[ "$1" == s* ]]; }
ns_of() { echo "$NS_PREFIX$1"; }       # network namespace of a host (or of infra)
host_sock() { echo "$RUN/$1/docker.sock"; }
dk() { local h="$1"; shift; DOCKER_CONFIG="$DATA/docker-cli" "$DOCKER_CLI" -H "unix://$(host_sock "$h")" "$@"; }

# ---------- prerequisites ----------

ensure_packages() {
  local missing=()
  command -v dockerd >/dev/null || missing+=(docker.io)
  command -v etcd >/dev/null || missing+=(etcd-server)
  command -v docker-registry >/dev/null || missing+=(docker-registry)
  command -v htpasswd >/dev/null || missing+=(apache2-utils)
  command -v openssl >/dev/null || missing+=(openssl)
  command -v iptables >/dev/null || missing+=(iptables)
  command -v ip >/dev/null || missing+=(iproute2)
  command -v curl >/dev/null || missing+=(curl)
  command -v nsenter >/dev/null || missing+=(util-linux)
  [ -x /usr/sbin/sshd ] || missing+=(openssh-server)
  [ -x /bin/busybox ] && file_is_static /bin/busybox || missing+=(busybox-static)
  if [ ${#missing[@]} -gt 0 ]; then
    log "installing ${missing[*]}"
    apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >&2
  fi
  DOCKER_CLI="$(command -v /usr/bin/docker || command -v docker)"
  local v; v="$(dockerd --version)"
  case "$v" in *" 20.10."*) ;; *) die "dockerd must be Engine 20.10 (the last with a cluster store); found: $v" ;; esac
}

file_is_static() { ! ldd "$1" >/dev/null 2>&1; }

ensure_consul() {
  CONSUL_BIN="$(bash "$HERE/build-consul.sh")" || die "could not build consul (see above)"
}

# The hosts' Engine: `20.10` (Debian's dockerd, the last with a cluster store) or `28` (dockerd and docker-proxy
# built once from their Go module by build-engine.sh, cached; Debian's containerd and runc). Recorded per instance
# in $DATA/engine, like the cluster-store mode; ENGINE_DIR is the folder of the 28 binaries ("" for 20.10).
ENGINE_DIR=""
ensure_engine() {
  case "$1" in
    20.10) ENGINE_DIR="" ;;
    28) ENGINE_DIR="$(bash "$HERE/build-engine.sh")" || die "could not build Engine 28 (see above)" ;;
    *) die "unknown engine $1 (20.10 or 28)" ;;
  esac
}

# engine_of_instance: the engine this instance's hosts run (20.10 for instances made before engines were chosen).
engine_of_instance() { cat "$DATA/engine" 2>/dev/null || echo 20.10; }

# ---------- processes ----------

# alive NAME: the process recorded in $RUN/NAME.pid runs.
alive() { local p; p="$(cat "$RUN/$1.pid" 2>/dev/null)" && [ -n "$p" ] && kill -0 "$p" 2>/dev/null; }

# close_fds: in a subshell about to exec a long-lived process, close every descriptor above 2 — above all the lock
# of `flock /tmp/stack-it.lock sandbox.sh up`, which a daemon would otherwise hold (and keep locked) for its life.
close_fds() {
  local fd
  for fd in $(ls "/proc/$BASHPID/fd"); do [ "$fd" -gt 2 ] && eval "exec $fd>&-"; done; true
}

# spawn NAME NETNS CMD...: start CMD in the network namespace, detached, logging to $DATA/NAME.log.
spawn() {
  local name="$1" ns="$2"; shift 2
  mkdir -p "$RUN" "$DATA"
  ( close_fds; exec setsid nsenter --net="/run/netns/$ns" "$@" ) >>"$DATA/$name.log" 2>&1 </dev/null &
  echo $! >"$RUN/$name.pid"
}

# stop_proc NAME: TERM, then KILL after 20 s.
stop_proc() {
  local name="$1" p i
  p="$(cat "$RUN/$name.pid" 2>/dev/null)" || return 0
  if [ -n "$p" ] && kill -0 "$p" 2>/dev/null; then
    kill -TERM "$p" 2>/dev/null || true
    for i in $(seq 1 200); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$p" 2>/dev/null || true
  fi
  rm -f "$RUN/$name.pid"
}

# wait_for WHAT SECONDS CMD...: poll CMD every 0.2 s.
wait_for() {
  local what="$1" secs="$2" i; shift 2
  for i in $(seq 1 $((secs * 5))); do "$@" >/dev/null 2>&1 && return 0; sleep 0.2; done
  die "$what did not come up within ${secs}s"
}

# ---------- network ----------

ensure_bridge() {
  if ! ip link show "$BR" >/dev/null 2>&1; then
    ip link add "$BR" type bridge
    ip addr add "$BR_IP/24" dev "$BR"
  fi
  ip link set "$BR" up
  sysctl -qw net.ipv4.ip_forward=1
}

ensure_netns() {
  local ns="$1" ip="$2" veth="sbx-$1"
  [ -e "/run/netns/$ns" ] || ip netns add "$ns"
  if ! ip link show "$veth" >/dev/null 2>&1; then
    ip link add "$veth" type veth peer name eth0 netns "$ns"
    ip link set "$veth" master "$BR" up
  fi
  ip -n "$ns" link set lo up
  [[ "$(ip -n "$ns" addr show dev eth0)" == *"inet $ip/"* ]] || ip -n "$ns" addr add "$ip/24" dev eth0
  ip -n "$ns" link set eth0 up
  ip -n "$ns" route replace default via "$BR_IP"
}

fw_rule() { # fw_rule TABLE-ARGS...: insert once (at the top), tagged
  iptables -C "$@" -m comment --comment "$FW_TAG" 2>/dev/null || iptables -I "$@" -m comment --comment "$FW_TAG"
}

ensure_firewall() {
  # Hosts talk to each other (dockerd in the root namespace may have set FORWARD to DROP, and
  # br_netfilter filters bridged frames); anything they send elsewhere is rejected at once.
  # TCP is refused with a reset, everything else with ICMP port unreachable: the kernel rate-limits ICMP errors per
  # host (a burst of 6, then 1/s), and a host whose refused connections used them up would see its next DNS query
  # dropped instead of refused (5 s lost in the resolver). Rules are inserted at the top: the later one comes first.
  # The TCP rules match new connections only, so that they are right above or below the ACCEPT rules alike (an up
  # over a sandbox made before they existed inserts them above everything).
  fw_rule FORWARD -i "$BR" ! -o "$BR" -j REJECT
  fw_rule FORWARD -i "$BR" ! -o "$BR" -p tcp -m conntrack --ctstate NEW -j REJECT --reject-with tcp-reset
  fw_rule FORWARD -i "$BR" -o "$BR" -j ACCEPT
  # Into this machine's own namespace only replies to what it started (tests, the CLI).
  fw_rule INPUT -i "$BR" -j REJECT
  fw_rule INPUT -i "$BR" -p tcp -m conntrack --ctstate NEW -j REJECT --reject-with tcp-reset
  fw_rule INPUT -i "$BR" -d "$BR_IP" -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT
}

remove_firewall() {
  local chain rule
  for chain in FORWARD INPUT; do
    while rule="$(iptables -S "$chain" | grep -E -- "--comment \"?$FW_TAG\"? " | head -1)" && [ -n "$rule" ]; do
      eval "iptables ${rule/-A /-D }"
    done
  done
}

# ---------- TLS ----------

ensure_tls() {
  local n="$1" i h ip
  mkdir -p "$TLS/client"
  if [ ! -f "$TLS/ca.pem" ]; then
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 3650 \
      -keyout "$TLS/ca-key.pem" -out "$TLS/ca.pem" -subj "/CN=stack-sandbox-ca" 2>/dev/null
  fi
  cp "$TLS/ca.pem" "$TLS/client/ca.pem"
  [ -f "$TLS/client/cert.pem" ] || issue_cert "$TLS/client" "stack-client" "extendedKeyUsage=clientAuth"
  for i in $(seq 1 "$n"); do
    h="h$i"; ip="$(host_ip "$h")"
    [ -f "$TLS/$h/cert.pem" ] || issue_cert "$TLS/$h" "$h" \
      "subjectAltName=IP:$ip,DNS:$h,IP:127.0.0.1"$'\n'"extendedKeyUsage=serverAuth"
  done
}

issue_cert() { # issue_cert DIR CN EXTENSIONS
  local dir="$1" cn="$2" ext="$3"
  mkdir -p "$dir"
  openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
    -keyout "$dir/key.pem" -out "$dir/req.csr" -subj "/CN=$cn" 2>/dev/null
  openssl x509 -req -in "$dir/req.csr" -CA "$TLS/ca.pem" -CAkey "$TLS/ca-key.pem" -CAcreateserial \
    -days 3650 -out "$dir/cert.pem" -extfile <(printf '%s\n' "$ext") 2>/dev/null
  rm -f "$dir/req.csr"
  chmod 600 "$dir/key.pem"
}

# ---------- infra: etcd, Consul, registries ----------

ensure_infra() {
  ensure_netns "$(ns_of infra)" "$INFRA_IP"
  mkdir -p "$DATA/etcd" "$DATA/registry-open" "$DATA/registry-auth"
  if ! alive etcd; then
    spawn etcd "$(ns_of infra)" etcd --name infra --data-dir "$DATA/etcd" --enable-v2 \
      --listen-client-urls "http://$INFRA_IP:2379" --advertise-client-urls "http://$INFRA_IP:2379" \
      --listen-peer-urls http://127.0.0.1:2380 --initial-advertise-peer-urls http://127.0.0.1:2380 \
      --initial-cluster infra=http://127.0.0.1:2380
  fi
  ensure_consul_servers
  write_registry_config open 5000 ""
  write_registry_config auth 5001 "$DATA/registry-auth/htpasswd"
  [ -f "$DATA/registry-auth/htpasswd" ] || htpasswd -Bbc "$DATA/registry-auth/htpasswd" "$REGISTRY_USER" "$REGISTRY_PASSWORD" 2>/dev/null
  alive registry-open || spawn registry-open "$(ns_of infra)" docker-registry serve "$DATA/registry-open/config.yml"
  alive registry-auth || spawn registry-auth "$(ns_of infra)" docker-registry serve "$DATA/registry-auth/config.yml"
  wait_for etcd 30 curl -sf "http://$INFRA_IP:2379/version"
  wait_for "consul leader" 60 consul_has_leader
  wait_for registry 30 curl -sf "http://$REGISTRY/v2/"
  wait_for "registry (auth)" 30 curl -s -o /dev/null -w '%{http_code}' "http://$REGISTRY_AUTH/v2/"
}

# A Docker credential helper that answers for the htpasswd registry (and for nothing else: "not found"), the way
# docker-credential-* programs do: `get` reads the server URL on stdin and prints {ServerURL, Username, Secret}.
# Installed into $DATA/bin, never on the system PATH: tests put that folder on PATH (sandbox.json credentialHelperDir).
ensure_credential_helper() {
  local file="$DATA/bin/docker-credential-sandbox" text
  text="$(cat <<EOF
#!/bin/sh
# docker-credential-sandbox: the sandbox's credential helper for $REGISTRY_AUTH (written by deploy/sandbox/lib.sh).
case "\$1" in
  get)
    server="\$(cat)"
    case "\$server" in
      $REGISTRY_AUTH|http://$REGISTRY_AUTH|https://$REGISTRY_AUTH)
        printf '{"ServerURL":"%s","Username":"%s","Secret":"%s"}\n' "\$server" '$REGISTRY_USER' '$REGISTRY_PASSWORD' ;;
      *) echo "credentials not found in native keychain"; exit 1 ;;
    esac ;;
  list) printf '{"%s":"%s"}\n' '$REGISTRY_AUTH' '$REGISTRY_USER' ;;
  *) echo "docker-credential-sandbox: only get and list are supported" >&2; exit 1 ;;
esac
EOF
)"
  mkdir -p "$DATA/bin"
  [ -f "$file" ] && [ "$(cat "$file")" = "$text" ] && return 0
  printf '%s\n' "$text" >"$file.tmp" && chmod 755 "$file.tmp" && mv "$file.tmp" "$file"
}

consul_has_leader() { [[ "$(curl -sf "http://$INFRA_IP:8500/v1/status/leader")" == *:* ]]; }

# ---------- Consul: one server, or a 3-server cluster (up --consul-servers 3) ----------
# Server N runs as process consulN (server 1: `consul`, node `infra`, at $INFRA_IP — the address every
# description names), all in the infra namespace, server N at $SUBNET.(N+1) (an extra address on infra's eth0).

consul_servers() { cat "$DATA/consul-servers" 2>/dev/null || echo 1; }
consul_proc() { if [ "$1" = 1 ]; then echo consul; else echo "consul$1"; fi; }
consul_ip() { echo "$SUBNET.$(($1 + 1))"; }
consul_node() { if [ "$1" = 1 ]; then echo infra; else echo "infra$1"; fi; }

# consul_start N: start server N of $(consul_servers) (idempotent).
consul_start() {
  local i="$1" n ip args=() j
  n="$(consul_servers)"; ip="$(consul_ip "$i")"
  alive "$(consul_proc "$i")" && return 0
  [[ "$(ip -n "$(ns_of infra)" addr show dev eth0)" == *"inet $ip/"* ]] || ip -n "$(ns_of infra)" addr add "$ip/24" dev eth0
  mkdir -p "$DATA/$(consul_proc "$i")"
  args=(-bootstrap-expect="$n")
  for j in $(seq 1 "$n"); do [ "$j" = "$i" ] || args+=(-retry-join="$(consul_ip "$j")"); done
  # Server 1 also answers on loopback (as the single server always has); the others on their own address only.
  spawn "$(consul_proc "$i")" "$(ns_of infra)" "$CONSUL_BIN" agent -server "${args[@]}" -node="$(consul_node "$i")" \
    -data-dir="$DATA/$(consul_proc "$i")" -bind="$ip" -client="$ip$([ "$i" = 1 ] && echo " 127.0.0.1")" \
    -dns-port=53 -disable-host-node-id -log-level=warn
}

# ensure_consul_servers: run $(consul_servers) servers. Changing the count starts Consul over with empty data (raft
# cannot shrink or grow a bootstrap-expect cluster from nothing): say so.
ensure_consul_servers() {
  local want="${CONSUL_SERVERS_WANTED:-$(consul_servers)}" i
  if [ "$want" != "$(consul_servers)" ] && { [ -f "$DATA/consul-servers" ] || [ -d "$DATA/consul/raft" ]; }; then
    log "Consul: $(consul_servers) → $want servers; starting Consul over with empty data"
    for i in 1 2 3; do stop_proc "$(consul_proc "$i")"; rm -rf "${DATA:?}/$(consul_proc "$i")"; done
  fi
  echo "$want" >"$DATA/consul-servers"
  for i in $(seq 1 "$want"); do consul_start "$i"; done
}

consul_stop() { stop_proc "$(consul_proc "$1")"; }

# consul_servers_json: the servers' HTTP addresses, for sandbox.json.
consul_servers_json() {
  local i out=""
  for i in $(seq 1 "$(consul_servers)"); do out+="${out:+, }\"http://$(consul_ip "$i"):8500\""; done
  echo "[$out]"
}

write_registry_config() { # KIND PORT HTPASSWD
  local dir="$DATA/registry-$1"
  {
    echo "version: 0.1"
    echo "log: { level: warn }"
    echo "storage: { filesystem: { rootdirectory: $dir/data }, delete: { enabled: true } }"
    echo "http: { addr: \"$INFRA_IP:$2\" }"
    [ -z "$3" ] || echo "auth: { htpasswd: { realm: stack-sandbox, path: $3 } }"
  } >"$dir/config.yml"
}

# ---------- hosts ----------

host_command() { # host_command NAME → the dockerd command line (the cluster store is in its daemon.json)
  local h="$1" ip; ip="$(host_ip "$h")"
  # Engine 28: its own dockerd, and its docker-proxy found first on PATH; containerd, runc, docker-init are Debian's.
  local tcp=(-H "tcp://$ip:2376" --tlsverify --tlscacert "$TLS/ca.pem" --tlscert "$TLS/$h/cert.pem" --tlskey "$TLS/$h/key.pem")
  ssh_only "$h" && tcp=()   # its Engine has no tcp listener: ssh:// is the only way in from another machine
  local args=(dockerd)
  [ -z "$ENGINE_DIR" ] || args=(env "PATH=$ENGINE_DIR:$PATH" "$ENGINE_DIR/dockerd")
  args+=(--config-file "$DATA/$h/daemon.json" -H "unix://$(host_sock "$h")" "${tcp[@]}"
    --data-root "$DATA/$h/docker" --exec-root "$RUN/$h/exec" --pidfile "$RUN/$h/docker.pid"
    --bip "$(host_bip "$h")")
  printf '%q ' "${args[@]}"
}

# host_daemon_json NAME CLUSTER_STORE → the host's daemon.json: the sandbox's registries, and with a cluster store
# deploy/engine/daemon.json (what docs/overlay.md tells users to install) with this sandbox's store and the host's
# address filled in, so the sandbox's overlays prove that file works.
host_daemon_json() {
  local h="$1" cs="$2" ip out; ip="$(host_ip "$h")"
  local registries="\"insecure-registries\": [\"$REGISTRY\", \"$REGISTRY_AUTH\"]"
  if [ "$cs" != 1 ]; then printf '{ %s }\n' "$registries"; return; fi
  out="$(sed -e "s|\"cluster-store\": *\"[^\"]*\"|\"cluster-store\": \"etcd://$INFRA_IP:2379\"|" \
             -e "s|\"cluster-advertise\": *\"[^\"]*\"|\"cluster-advertise\": \"$ip:2376\"|" \
             -e "0,/{/s|{|{ $registries,|" "$REPO/deploy/engine/daemon.json")"
  grep -q "\"cluster-store\": \"etcd://$INFRA_IP:2379\"" <<<"$out" && grep -q "\"cluster-advertise\": \"$ip:2376\"" <<<"$out" \
    || die "deploy/engine/daemon.json: no \"cluster-store\" and \"cluster-advertise\" to fill in"
  printf '%s\n' "$out"
}

host_start() {
  local h="$1" cs; cs="$(cat "$DATA/cluster-store" 2>/dev/null || echo 1)"
  ssh_only "$h" && cs=0   # no cluster store: it advertises no tcp address
  alive "dockerd-$h" && return 0
  [ -n "$ENGINE_DIR" ] || [ "$(engine_of_instance)" = 20.10 ] || ensure_engine "$(engine_of_instance)"
  mkdir -p "$DATA/$h/docker" "$RUN/$h"
  host_daemon_json "$h" "$cs" >"$DATA/$h/daemon.json"
  spawn "dockerd-$h" "$(ns_of "$h")" unshare --uts sh -c "hostname $h; exec $(host_command "$h")"
}

host_ready() { [ "$(curl -sf --unix-socket "$(host_sock "$1")" http://docker/_ping)" = OK ]; }

# wait_host NAME: until its Engine API answers; fails at once, with the log's tail, if dockerd died.
wait_host() {
  local h="$1" i
  for i in $(seq 1 300); do
    host_ready "$h" && return 0
    alive "dockerd-$h" || { tail -5 "$DATA/dockerd-$h.log" >&2; die "dockerd on $h exited"; }
    sleep 0.2
  done
  die "dockerd on $h did not answer within 60s (log: $DATA/dockerd-$h.log)"
}

host_stop() { stop_proc "dockerd-$1"; }

# host_leaked NAME: some dockerd thread is stuck in another network namespace. dockerd 20.10 can leave
# a thread in an overlay's namespace after tearing it down; registry calls made on that thread then
# fail with "network is unreachable" (moby/libnetwork#1838). Only a restart clears it.
host_leaked() {
  local p t want
  p="$(cat "$RUN/dockerd-$1.pid" 2>/dev/null)" || return 1
  want="$(stat -L -c %i "/run/netns/$(ns_of "$1")")"
  for t in /proc/"$p"/task/*; do
    [ "$(stat -L -c %i "$t/ns/net" 2>/dev/null || echo "$want")" = "$want" ] || return 0
  done
  return 1
}

# heal: restart every dockerd with a leaked thread (its containers restart per their policies).
sandbox_heal() {
  local h
  for h in $(cd "$RUN" 2>/dev/null && ls dockerd-*.pid 2>/dev/null | sed 's/^dockerd-//; s/\.pid$//'); do
    if host_leaked "$h"; then log "restarting $h: a dockerd thread is stuck in another network namespace"; host_stop "$h"; host_start "$h"; wait_host "$h"; fi
  done
}

# ---------- mend: a route out of a leaked namespace ----------
# dockerd 20.10 with a cluster store leaks one thread per overlay it tears down on a host: the overlay's
# neighbour-miss watcher unlocks its thread without leaving the overlay's namespace (moby/libnetwork#1838),
# and the Go runtime then runs other goroutines on it. That namespace is gone from the daemon's view and
# holds only `lo`, so anything the daemon dials from that thread — registry, cluster store, gossip — fails
# with "network is unreachable" until a restart. The mender gives each such namespace a way out instead: a
# veth to the host's namespace, a default route, and masquerade there, so the daemon's calls leave from
# the host's own address, under the sandbox's firewall like any other. It runs beside the daemons (`up`
# with a cluster store starts it, `down` stops it) and looks four times a second.

MEND_NET=169.254   # the /30s between a leaked namespace (.2) and its host (.1); host-local, never routed out

# mend_host_rules HOST: forwarding and masquerade for the mend links, in the host's namespace (once).
mend_host_rules() {
  nsenter --net="/run/netns/$(ns_of "$1")" sh -c "
    sysctl -qw net.ipv4.ip_forward=1
    iptables -t nat -C POSTROUTING -s $MEND_NET.0.0/16 -j MASQUERADE 2>/dev/null || iptables -t nat -I POSTROUTING -s $MEND_NET.0.0/16 -j MASQUERADE
    iptables -C FORWARD -i mend+ -j ACCEPT 2>/dev/null || iptables -I FORWARD -i mend+ -j ACCEPT
    iptables -C FORWARD -o mend+ -j ACCEPT 2>/dev/null || iptables -I FORWARD -o mend+ -j ACCEPT"
}

# mend_ns HOST NSFILE N: link the namespace NSFILE (a dockerd thread's) to HOST's namespace over /30 number N.
mend_ns() {
  local h="$1" nsf="$2" n="$3" hns a b
  hns="$(ns_of "$h")"
  a="$MEND_NET.$((n / 64 % 256)).$((n % 64 * 4 + 1))"; b="$MEND_NET.$((n / 64 % 256)).$((n % 64 * 4 + 2))"
  nsenter --net="$nsf" ip link add mend type veth peer name "mend$n" netns "$hns" &&
    nsenter --net="$nsf" sh -c "ip link set lo up && ip addr add $b/30 dev mend && ip link set mend up && ip route add default via $a" &&
    ip -n "$hns" addr add "$a/30" dev "mend$n" && ip -n "$hns" link set "mend$n" up
}

# only_loopback FILE: a /proc/.../net/dev that lists no interface but lo.
only_loopback() {
  local line n=0
  while read -r line; do
    case "$line" in *'|'*) ;; lo:*) ;; *) n=$((n + 1)) ;; esac
  done <"$1"
  [ "$n" = 0 ]
}

# mend_loop: forever, find dockerd threads in a namespace that is neither the host's nor one the daemon
# still has mounted (a container's or a live overlay's, under its exec-root) and holds only lo, seen so
# twice in a row (a namespace being set up is briefly like that too), and mend it. A mended namespace holds
# its `mend` link, so it is not mended twice; nothing is remembered by inode, because the kernel gives a
# freed namespace's inode number to the next one (a later leak can have an inode mended before).
mend_loop() {
  declare -A seen=() ruled=()
  local n=0 pidfile h p want file ino live key t
  while :; do
    declare -A next=()
    for pidfile in "$RUN"/dockerd-*.pid; do
      [ -e "$pidfile" ] || continue
      h="${pidfile##*/dockerd-}"; h="${h%.pid}"
      p="$(<"$pidfile")" || continue
      want="$(stat -L -c %i "/run/netns/$(ns_of "$h")" 2>/dev/null)" || continue
      live=" $want "
      while read -r file ino; do
        [[ "$file" == /proc/* ]] || { live+="$ino "; continue; }
        [[ "$live" == *" $ino "* ]] && continue
        key="$p:$ino"
        t="${file%/ns/net}"
        only_loopback "$t/net/dev" 2>/dev/null || continue
        if [ -n "${seen[$key]:-}" ]; then
          [ -n "${ruled[$p]:-}" ] || { mend_host_rules "$h" && ruled[$p]=1; }
          n=$((n + 1))
          if mend_ns "$h" "$file" "$n" 2>>"$DATA/mend.log"; then
            printf '%s mended %s: dockerd %s thread %s, namespace %s (mend%s)\n' "$(date +%T.%N)" "$h" "$p" "${t##*/}" "$ino" "$n" >>"$DATA/mend.log"
          else # half a link is no way out: take it away, so the next look tries again
            nsenter --net="$file" ip link del mend 2>/dev/null
          fi
        else
          next[$key]=1
        fi
      # exec-root mounts first, so every namespace the daemon still uses is known before its threads are read
      done < <(stat -L -c '%n %i' "$RUN/$h/exec/netns/"* /proc/"$p"/task/*/ns/net 2>/dev/null | sort -k1,1r)
    done
    seen=()
    for key in "${!next[@]}"; do seen[$key]=1; done
    unset next
    sleep 0.25
  done
}

mend_start() {
  alive mend && return 0
  mkdir -p "$RUN" "$DATA"
  # $RUN on its command line: `check-clean` finds a mender that outlived its sandbox like any other process
  ( close_fds; exec setsid bash "$HERE/sandbox.sh" mend-loop "$RUN" ) >>"$DATA/mend.log" 2>&1 </dev/null &
  echo $! >"$RUN/mend.pid"
}

# ---------- images ----------

ensure_images() {
  local h
  if [[ "$(curl -sf "http://$REGISTRY/v2/$IMAGE_REPO/tags/list")" != *"\"$IMAGE_TAG\""* ]]; then
    build_busybox_image h1
  fi
  if [[ "$(curl -sf -u "$REGISTRY_USER:$REGISTRY_PASSWORD" "http://$REGISTRY_AUTH/v2/private/$IMAGE_REPO/tags/list")" != *"\"$IMAGE_TAG\""* ]]; then
    dk h1 image inspect "$REGISTRY/$IMAGE_REPO:$IMAGE_TAG" >/dev/null 2>&1 || dk h1 pull -q "$REGISTRY/$IMAGE_REPO:$IMAGE_TAG" >/dev/null
    dk h1 tag "$REGISTRY/$IMAGE_REPO:$IMAGE_TAG" "$REGISTRY_AUTH/private/$IMAGE_REPO:$IMAGE_TAG"
    echo "$REGISTRY_PASSWORD" | dk h1 login -u "$REGISTRY_USER" --password-stdin "$REGISTRY_AUTH" >/dev/null 2>&1
    dk h1 push -q "$REGISTRY_AUTH/private/$IMAGE_REPO:$IMAGE_TAG" >/dev/null
    dk h1 rmi "$REGISTRY_AUTH/private/$IMAGE_REPO:$IMAGE_TAG" >/dev/null
  fi
  # Every host has the base image, so no workload pays a pull unless it asks for one.
  local pids=()
  for h in "${HOSTS[@]}"; do
    ( dk "$h" image inspect "$REGISTRY/$IMAGE_REPO:$IMAGE_TAG" >/dev/null 2>&1 ||
      dk "$h" pull -q "$REGISTRY/$IMAGE_REPO:$IMAGE_TAG" >/dev/null ) &
    pids+=($!)
  done
  for h in "${SSH_ONLY_HOSTS[@]}"; do
    ( dk "$h" image inspect "$REGISTRY/$IMAGE_REPO:$IMAGE_TAG" >/dev/null 2>&1 ||
      dk "$h" pull -q "$REGISTRY/$IMAGE_REPO:$IMAGE_TAG" >/dev/null ) &
    pids+=($!)
  done
  for p in "${pids[@]}"; do wait "$p" || die "pulling the base image failed"; done
}

build_busybox_image() {
  local h="$1" root; root="$(mktemp -d)"
  mkdir -p "$root/bin" "$root/etc" "$root/tmp" "$root/root" "$root/www"
  cp /bin/busybox "$root/bin/busybox"
  local a
  for a in $("$root/bin/busybox" --list); do
    [ "$a" = busybox ] || ln -sf busybox "$root/bin/$a"
  done
  printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n' >"$root/etc/passwd"
  printf 'root:x:0:\nnogroup:x:65534:\n' >"$root/etc/group"
  echo "stack sandbox busybox" >"$root/www/index.html"
  chmod 1777 "$root/tmp"
  tar -C "$root" -c . | dk "$h" import -c 'ENV PATH=/bin' -c 'CMD ["sh"]' - "$REGISTRY/$IMAGE_REPO:$IMAGE_TAG" >/dev/null
  rm -rf "$root"
  dk "$h" tag "$REGISTRY/$IMAGE_REPO:$IMAGE_TAG" "$REGISTRY/$IMAGE_REPO:latest"
  dk "$h" push -q "$REGISTRY/$IMAGE_REPO:$IMAGE_TAG" >/dev/null
  dk "$h" push -q "$REGISTRY/$IMAGE_REPO:latest" >/dev/null
}

# The sandbox's busybox pinned by the digest its registry serves: the helper image of stack's own overlay, which
# the inventory names (overlay.helper_image) — offline, and not a tag anybody could move.
helper_image_ref() {
  local digest
  digest="$(curl -sfI -H 'Accept: application/vnd.docker.distribution.manifest.v2+json' "http://$REGISTRY/v2/$IMAGE_REPO/manifests/$IMAGE_TAG" |
    tr -d '\r' | awk -F': ' 'tolower($1) == "docker-content-digest" { print $2 }')"
  [[ "$digest" =~ ^sha256:[0-9a-f]{64}$ ]] || die "the registry $REGISTRY gave no digest for $IMAGE_REPO:$IMAGE_TAG"
  echo "$REGISTRY/$IMAGE_REPO@$digest"
}

# ---------- ssh: an OpenSSH server per host ----------
# Each host runs Debian's sshd in its namespace (port 22 on its address) with its own host key, made once and kept
# across `up`. A login runs `docker system dial-stdio` (what stack and `docker -H ssh://` run) against *that* host's
# dockerd: all hosts share one filesystem, so each sshd sets DOCKER_HOST for its sessions (sshd_config SetEnv).
# One client key logs in as root everywhere; known_hosts holds every host's key.

ensure_ssh_keys() {
  mkdir -p "$SSH_DIR"; chmod 700 "$SSH_DIR"
  [ -f "$SSH_DIR/client_ed25519" ] || ssh-keygen -q -t ed25519 -N '' -C "stack-sandbox$SUFFIX client" -f "$SSH_DIR/client_ed25519"
  cmp -s "$SSH_DIR/client_ed25519.pub" "$SSH_DIR/authorized_keys" || cp "$SSH_DIR/client_ed25519.pub" "$SSH_DIR/authorized_keys"
}

ssh_config_of() { # ssh_config_of HOST → its sshd_config
  local h="$1" d="$SSH_DIR/$1"
  cat <<EOF
ListenAddress $(host_ip "$h"):22
HostKey $d/host_ed25519_key
PidFile none
AuthorizedKeysFile $SSH_DIR/authorized_keys
PermitRootLogin prohibit-password
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
AllowAgentForwarding no
AllowTcpForwarding no
X11Forwarding no
PermitTunnel no
PrintMotd no
MaxSessions 16
MaxStartups 64:30:128
SetEnv DOCKER_HOST=unix://$(host_sock "$h") DOCKER_CONFIG=$DATA/docker-cli
EOF
}

ssh_start() {
  local h="$1" d="$SSH_DIR/$1"
  mkdir -p "$d" /run/sshd; chmod 700 "$d"
  [ -f "$d/host_ed25519_key" ] || ssh-keygen -q -t ed25519 -N '' -C "$h" -f "$d/host_ed25519_key"
  local config; config="$(ssh_config_of "$h")"
  [ "$config" = "$(cat "$d/sshd_config" 2>/dev/null)" ] || { printf '%s\n' "$config" >"$d/sshd_config"; stop_proc "sshd-$h"; }
  alive "sshd-$h" && return 0
  /usr/sbin/sshd -t -f "$d/sshd_config" || die "sshd_config of $h is not valid ($d/sshd_config)"
  spawn "sshd-$h" "$(ns_of "$h")" /usr/sbin/sshd -D -e -f "$d/sshd_config"
}

ssh_ready() { nsenter --net="/run/netns/$(ns_of "$1")" bash -c "exec 3<>/dev/tcp/$(host_ip "$1")/22" 2>/dev/null; }

# known_hosts: every host's key under its address (rewritten only when it changes).
write_known_hosts() {
  local h out=""
  for h in "$@"; do out+="$(host_ip "$h") $(cut -d' ' -f1,2 "$SSH_DIR/$h/host_ed25519_key.pub")"$'\n'; done
  [ "$out" = "$(cat "$SSH_DIR/known_hosts" 2>/dev/null)"$'\n' ] || printf '%s' "$out" >"$SSH_DIR/known_hosts"
}

ensure_ssh() {
  local h
  ensure_ssh_keys
  for h in "$@"; do ssh_start "$h"; done
  for h in "$@"; do wait_for "sshd on $h" 10 ssh_ready "$h"; done
  write_known_hosts "$@"
}

# ---------- description ----------

host_labels() { # role/pool/zone per host, for placement examples and tests
  case "$1" in
    h1) echo "role: web, pool: main, zone: a" ;;
    h2) echo "role: web, pool: main, zone: b" ;;
    h3) echo "role: db, pool: main, zone: c" ;;
    s*) echo "role: sshonly, pool: sshonly, zone: s" ;;
    *) echo "role: spare, pool: spare, zone: x" ;;
  esac
}

write_description() {
  local cs; cs="$(cat "$DATA/cluster-store")"
  local h first=1 hosts_json="" inv="" ip helper ssh_inv="" ssh_only_json="" ssh_hosts_json=""
  helper="$(helper_image_ref)"
  for h in "${HOSTS[@]}" "${SSH_ONLY_HOSTS[@]}"; do
    ip="$(host_ip "$h")"
    ssh_inv+="  $h:
    endpoint: ssh://root@$ip
    labels: { $(host_labels "$h") }
"
    [ -z "$ssh_hosts_json" ] || ssh_hosts_json+=", "
    ssh_hosts_json+="\"$h\": \"ssh://root@$ip\""
    ssh_only "$h" || continue
    [ -z "$ssh_only_json" ] || ssh_only_json+=", "
    ssh_only_json+="{ \"name\": \"$h\", \"ip\": \"$ip\", \"netns\": \"$(ns_of "$h")\", \"socket\": \"unix://$(host_sock "$h")\", \"ssh\": \"ssh://root@$ip\" }"
  done
  for h in "${HOSTS[@]}"; do
    ip="$(host_ip "$h")"
    [ $first = 1 ] || hosts_json+=","
    first=0
    hosts_json+="
    { \"name\": \"$h\", \"ip\": \"$ip\", \"netns\": \"$(ns_of "$h")\",
      \"socket\": \"unix://$(host_sock "$h")\", \"tcp\": \"tcp://$ip:2376\",
      \"tls\": { \"ca\": \"$TLS/client/ca.pem\", \"cert\": \"$TLS/client/cert.pem\", \"key\": \"$TLS/client/key.pem\" },
      \"labels\": { $(host_labels "$h" | sed -E 's/([a-z]+): ([a-z]+)/"\1": "\2"/g') } }"
    inv+="  $h:
    endpoint: tcp://$ip:2376
    tls: { ca: $TLS/client/ca.pem, cert: $TLS/client/cert.pem, key: $TLS/client/key.pem }
    labels: { $(host_labels "$h") }
"
  done
  cat >"$STATE/sandbox.json" <<EOF
{
  "bridge": "$BR",
  "gateway": "$BR_IP",
  "clusterStore": $([ "$cs" = 1 ] && echo "\"etcd://$INFRA_IP:2379\"" || echo null),
  "engine": "$(engine_of_instance)",
  "hosts": [$hosts_json
  ],
  "infra": { "netns": "$(ns_of infra)", "ip": "$INFRA_IP" },
  "consul": { "http": "http://$INFRA_IP:8500", "dns": "$INFRA_IP:53", "servers": $(consul_servers_json) },
  "etcd": "http://$INFRA_IP:2379",
  "registry": "$REGISTRY",
  "registryAuth": { "address": "$REGISTRY_AUTH", "username": "$REGISTRY_USER", "password": "$REGISTRY_PASSWORD" },
  "credentialHelperDir": "$DATA/bin",
  "images": { "busybox": "$REGISTRY/$IMAGE_REPO:$IMAGE_TAG", "busyboxLatest": "$REGISTRY/$IMAGE_REPO:latest", "private": "$REGISTRY_AUTH/private/$IMAGE_REPO:$IMAGE_TAG", "helper": "$helper" },
  "dockerCli": "$DOCKER_CLI",
  "sandboxScript": "$HERE/sandbox.sh"
}
EOF
  cat >"$STATE/ssh.json" <<EOF
{
  "inventory": "$STATE/inventory-ssh.yaml",
  "identity": "$SSH_DIR/client_ed25519",
  "knownHosts": "$SSH_DIR/known_hosts",
  "hostKeys": "$SSH_DIR",
  "hosts": { $ssh_hosts_json },
  "sshOnly": [$ssh_only_json]
}
EOF
  cat >"$STATE/inventory.yaml" <<EOF
# Written by \`npm run sandbox -- up\`: the sandbox's hosts over tcp+TLS, its Consul, and the helper image of stack's
# own overlay (the sandbox's busybox, by digest).
# Use: stack apply -i .sandbox/inventory.yaml -f examples/web-db/compose.yaml
hosts:
$inv
consul: http://$INFRA_IP:8500
overlay: { helper_image: "$helper" }
EOF
  cat >"$STATE/inventory-ssh.yaml" <<EOF
# Written by \`npm run sandbox -- up\`: the same hosts over ssh:// (each host's sshd runs \`docker system dial-stdio\`
# against its own dockerd), plus $(printf '%s ' "${SSH_ONLY_HOSTS[@]}")— an Engine with no tcp listener, reachable over SSH only.
# Host keys are checked against the sandbox's known_hosts; the client key logs in as root.
# Use: stack apply -i .sandbox/inventory-ssh.yaml -f examples/web-db/compose.yaml
known_hosts: $SSH_DIR/known_hosts
hosts:
$(printf '%s' "$ssh_inv" | sed "s|^    endpoint: \(.*\)|    endpoint: \1\n    identity: $SSH_DIR/client_ed25519|")
consul: http://$INFRA_IP:8500
overlay: { helper_image: "$helper" }
EOF
}

# ---------- commands ----------

# What `up` may change; equal before and after means nothing changed.
fingerprint() {
  { cat "$RUN"/*.pid 2>/dev/null; ip netns list 2>/dev/null; ip -br link show "$BR" 2>/dev/null
    iptables -S 2>/dev/null | grep -E -- "--comment \"?$FW_TAG\"? "; ls -R "$STATE" 2>/dev/null; true; } | md5sum
}

sandbox_up() {
  local n="$1" cs="$2" engine="$3" i h changed_mode=0 before
  [ "$(id -u)" = 0 ] || die "the sandbox needs root (network namespaces, dockerd)"
  [ "$engine" = 20.10 ] || [ "$cs" = 0 ] || die "Engine $engine has no cluster store: use --no-cluster-store with --engine $engine"
  ensure_packages
  ensure_consul
  ensure_engine "$engine"
  before="$(fingerprint)"
  mkdir -p "$STATE" "$DATA" "$RUN"
  if [ -f "$DATA/cluster-store" ] && [ "$(cat "$DATA/cluster-store")" != "$cs" ]; then changed_mode=1; fi
  if [ "$(engine_of_instance)" != "$engine" ]; then changed_mode=1; fi
  echo "$cs" >"$DATA/cluster-store"
  echo "$engine" >"$DATA/engine"
  ensure_bridge
  ensure_firewall
  ensure_tls "$n"
  ensure_infra
  ensure_credential_helper
  HOSTS=()
  for i in $(seq 1 "$n"); do HOSTS+=("h$i"); done
  for h in "${HOSTS[@]}"; do
    ensure_netns "$(ns_of "$h")" "$(host_ip "$h")"
    if [ $changed_mode = 1 ] && alive "dockerd-$h"; then log "restarting $h on Engine $engine $([ "$cs" = 1 ] && echo with || echo without) a cluster store"; host_stop "$h"; fi
    # The first dockerd writes /etc/docker/key.json, which every daemon reads: let it finish first.
    if [ ! -f /etc/docker/key.json ]; then host_start "$h"; wait_host "$h"; fi
    host_start "$h"
  done
  for h in "${SSH_ONLY_HOSTS[@]}"; do ensure_netns "$(ns_of "$h")" "$(host_ip "$h")"; host_start "$h"; done
  for h in "${HOSTS[@]}" "${SSH_ONLY_HOSTS[@]}"; do wait_host "$h"; done
  ensure_ssh "${HOSTS[@]}" "${SSH_ONLY_HOSTS[@]}"
  sandbox_heal
  if [ "$cs" = 1 ]; then mend_start; else stop_proc mend; fi
  ensure_images
  write_description
  log "up: ${#HOSTS[@]} hosts ($(printf '%s ' "${HOSTS[@]}")) on Engine $engine, cluster store: $([ "$cs" = 1 ] && echo etcd || echo none), consul http://$INFRA_IP:8500 ($(consul_servers) server$([ "$(consul_servers)" = 1 ] || echo s)), registry $REGISTRY"
  log "wrote $STATE/sandbox.json, $STATE/inventory.yaml, $STATE/ssh.json and $STATE/inventory-ssh.yaml (ssh:// to every host$([ ${#SSH_ONLY_HOSTS[@]} = 0 ] || echo ", ${SSH_ONLY_HOSTS[*]} over ssh only"))"
  if [ "$before" = "$(fingerprint)" ]; then log "already up: nothing changed"; fi
}

is_our_ns() { [[ "$1" == "${NS_PREFIX}infra" || "$1" =~ ^${NS_PREFIX}[hs][0-9]{1,2}$ ]]; }

sandbox_down() {
  local p name ns m pids=()
  for p in "$RUN"/*.pid; do
    [ -e "$p" ] || continue
    name="$(basename "$p" .pid)"
    case "$name" in dockerd-*|sshd-*) stop_proc "$name" & pids+=($!) ;; esac
  done
  for p in "${pids[@]}"; do wait "$p"; done
  for name in mend registry-open registry-auth consul consul2 consul3 etcd; do stop_proc "$name"; done
  # Anything still running inside the namespaces (containerd shims of a killed daemon).
  for ns in $(ip netns list 2>/dev/null | awk '{print $1}'); do
    is_our_ns "$ns" || continue
    for p in $(ip netns pids "$ns" 2>/dev/null); do kill -KILL "$p" 2>/dev/null || true; done
  done
  sleep 0.3
  # Mounts the daemons left (overlay layers, netns files, shm), deepest first.
  for m in $(awk '{print $2}' /proc/mounts | grep -E "^($DATA|$RUN)(/|$)" | sort -r); do
    umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || true
  done
  for ns in $(ip netns list 2>/dev/null | awk '{print $1}'); do
    if is_our_ns "$ns"; then ip netns del "$ns"; fi
  done
  # `ip netns add` bind-mounts /run/netns onto itself; undo that once no namespace is left.
  if [ -z "$(ip netns list 2>/dev/null)" ] && awk '$2=="/run/netns"' /proc/mounts | grep -q .; then
    umount /run/netns 2>/dev/null || true
  fi
  ip link del "$BR" 2>/dev/null || true
  remove_firewall
  rm -rf "$RUN" "$DATA" "$STATE"
  log "down: no namespace, bridge, process, mount or firewall rule left"
}

sandbox_status() {
  local name ok=1
  if [ ! -f "$STATE/sandbox.json" ]; then echo "sandbox: down"; return 3; fi
  for name in etcd $(for i in $(seq 1 "$(consul_servers)"); do consul_proc "$i"; done) registry-open registry-auth $([ "$(cat "$DATA/cluster-store" 2>/dev/null)" = 1 ] && echo mend) $(cd "$RUN" 2>/dev/null && ls dockerd-*.pid sshd-*.pid 2>/dev/null | sed 's/\.pid$//'); do
    if alive "$name"; then printf '  %-16s running (pid %s)\n' "$name" "$(cat "$RUN/$name.pid")"; else printf '  %-16s STOPPED\n' "$name"; ok=0; fi
  done
  cat "$STATE/sandbox.json"
  [ $ok = 1 ]
}

# check-clean: fails, saying what, if `down` left a namespace, bridge, process, mount or firewall rule.
sandbox_check_clean() {
  local left=() ns
  for ns in $(ip netns list 2>/dev/null | awk '{print $1}'); do is_our_ns "$ns" && left+=("netns $ns"); done
  ip link show "$BR" >/dev/null 2>&1 && left+=("bridge $BR")
  pgrep -f -- "$RUN/|$DATA/" >/dev/null && left+=("processes: $(pgrep -af -- "$RUN/|$DATA/" | head -3 | tr '\n' ';')")
  awk '{print $2}' /proc/mounts | grep -qE "^($DATA|$RUN)(/|$)" && left+=("mounts under $DATA or $RUN")
  iptables -S 2>/dev/null | grep -qE -- "--comment \"?$FW_TAG\"? " && left+=("iptables rules tagged $FW_TAG")
  if [ ${#left[@]} -gt 0 ]; then printf 'sandbox down left: %s\n' "${left[@]}" >&2; return 1; fi
  log "down left nothing behind"
}
