#!/usr/bin/env bash
# Fails (and says what) if `sandbox down` left a namespace, bridge, process, mount or firewall rule.
set -uo pipefail
left=()
for ns in $(ip netns list 2>/dev/null | awk '{print $1}'); do case "$ns" in infra|h[0-9]) left+=("netns $ns") ;; esac; done
ip link show stacksbx0 >/dev/null 2>&1 && left+=("bridge stacksbx0")
pgrep -f 'stack-sandbox' >/dev/null && left+=("processes: $(pgrep -af stack-sandbox | head -3 | tr '\n' ';')")
grep -qE ' /(var/lib|run)/stack-sandbox' /proc/mounts && left+=("mounts under /var/lib/stack-sandbox or /run/stack-sandbox")
iptables -S 2>/dev/null | grep -q 'stack-sandbox' && left+=("iptables rules tagged stack-sandbox")
if [ ${#left[@]} -gt 0 ]; then printf 'sandbox down left: %s\n' "${left[@]}" >&2; exit 1; fi
echo "sandbox down left nothing behind"
