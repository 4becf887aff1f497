#!/usr/bin/env bash
# The multi-host sandbox: several real dockerd (one network namespace each) plus an `infra` namespace
# with etcd (the daemons' cluster store), Consul and two registries, all on one private bridge.
#
#   sandbox.sh up [--hosts N] [--no-cluster-store] [--engine 20.10|28] [--consul-servers 1|3]
#                                                    start (idempotent; adds hosts, switches mode or engine);
#                                                    N is 1-16; Engine 28 (built by build-engine.sh) needs
#                                                    --no-cluster-store; 3 Consul servers form one raft cluster
#                                                    (changing the count starts Consul over, empty)
#   sandbox.sh down                                  stop everything and remove every trace
#   sandbox.sh status                                print sandbox.json and what is running
#   sandbox.sh stop-host NAME | start-host NAME      stop or start one host's dockerd (fault tests)
#   sandbox.sh stop-consul N | start-consul N        stop or start Consul server N (1-3; leader-loss tests)
#   sandbox.sh heal                                  restart daemons with a thread stuck in another netns
#                                                    (`up` also starts a mender that repairs those: lib.sh, mend)
#   sandbox.sh check-clean                           fail if `down` left anything behind
# STACK_SANDBOX=NAME runs a second sandbox beside the default (own bridge, subnet, namespaces, .sandbox-NAME/).
#
# Needs root. Writes .sandbox/sandbox.json, inventory.yaml, ssh.json and inventory-ssh.yaml at the repository root;
# every host also runs an sshd (lib.sh, ssh), and the default instance an SSH-only host s1.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/../.." && pwd)"
# shellcheck source=deploy/sandbox/lib.sh
source "$HERE/lib.sh"

usage() { sed -n '2,20p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; }

cmd="${1:-}"; shift || true
case "$cmd" in
  up)
    hosts="${STACK_SANDBOX_HOSTS:-3}"; cluster_store=1; engine=20.10
    while [ $# -gt 0 ]; do
      case "$1" in
        --hosts) hosts="$2"; shift 2 ;;
        --hosts=*) hosts="${1#*=}"; shift ;;
        --no-cluster-store) cluster_store=0; shift ;;
        --cluster-store) cluster_store=1; shift ;;
        --engine) engine="${2:-}"; shift 2 || shift ;;
        --engine=*) engine="${1#*=}"; shift ;;
        --consul-servers) CONSUL_SERVERS_WANTED="${2:-}"; shift 2 || shift ;;
        --consul-servers=*) CONSUL_SERVERS_WANTED="${1#*=}"; shift ;;
        *) echo "sandbox up: unknown option $1" >&2; usage >&2; exit 1 ;;
      esac
    done
    { [[ "$hosts" =~ ^[0-9]+$ ]] && [ "$hosts" -ge 1 ] && [ "$hosts" -le "$MAX_HOSTS" ]; } || { echo "sandbox up: --hosts must be 1-$MAX_HOSTS" >&2; exit 1; }
    [[ "${CONSUL_SERVERS_WANTED:-1}" =~ ^[13]$ ]] || { echo "sandbox up: --consul-servers must be 1 or 3" >&2; exit 1; }
    [[ "$engine" =~ ^(20\.10|28)$ ]] || { echo "sandbox up: --engine must be 20.10 or 28" >&2; exit 1; }
    sandbox_up "$hosts" "$cluster_store" "$engine"
    ;;
  down) sandbox_down ;;
  status) sandbox_status ;;
  heal) sandbox_heal ;;
  mend-loop) mend_loop ;;  # internal: started by `up` (see lib.sh, mend)
  check-clean) sandbox_check_clean ;;
  stop-host) host_stop "${1:?host name}" ;;
  start-host) host_start "${1:?host name}" ;;
  stop-consul|start-consul)
    [[ "${1:-}" =~ ^[1-3]$ ]] && [ "$1" -le "$(consul_servers)" ] || { echo "sandbox $cmd: N must be 1-$(consul_servers)" >&2; exit 1; }
    if [ "$cmd" = stop-consul ]; then consul_stop "$1"; else ensure_consul; consul_start "$1"; fi ;;
  -h|--help|help|"") usage ;;
  *) echo "sandbox: unknown command $cmd" >&2; usage >&2; exit 1 ;;
esac
