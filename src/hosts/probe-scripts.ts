/**
 * The probe container of `stack hosts check` (pure: its create body, its argv, the parsers of its output). One
 * short-lived container per host, from the operator's overlay helper image, on the host network, with NET_ADMIN
 * (ip link), SYS_CHROOT (the host's own iproute2, as the overlay helper runs it) and NET_RAW (udhcpc's packet
 * socket) only, never privileged, no new privileges, its own root read-only, the host's root read-only at /host,
 * and the daemon's data root read-only at /stack-data-root (for `df`).
 *
 * How it proves VXLAN between the hosts, through the Engine API only: host i makes one VXLAN device per host j
 * (VNI base+j, UDP 4789, local = its underlay address) and floods its own (VNI base+i) to every peer. Then each
 * host sends a few broadcast frames out of its own device (busybox `udhcpc`: DHCP discovers, which need no address
 * on the device); they travel as VXLAN datagrams to UDP 4789 of every peer, whose device for VNI base+i counts
 * them (`ip -s link`). A count above 0 on host b for sender a proves a → b: the kernel's VXLAN, the port and every
 * firewall between them. The devices share the port with any VXLAN socket already bound there (the kernel shares
 * it), so a host already running an overlay is probed as well.
 *
 * Nothing is left behind: the container's first process deletes the devices when it is stopped (a TERM trap) or
 * when its lifetime ends (it sleeps at most `lifetime` seconds), and the daemon removes the container once it exits
 * (AutoRemove); the check also deletes the devices itself before it stops the container.
 *
 * Nothing is interpolated into a shell: the scripts are constants that read every value as a double-quoted
 * positional parameter, and every value is parsed into its type first (device names, VNIs, IPv4 addresses, the
 * nonce, the lifetime).
 */
import { Labels } from '../labels.js';
import { CHROOT, PATH_LINE, VXLAN_PORT } from '../overlay/helper.js';
import {
  OverlayValueError,
  parseDeviceName,
  parseIpv4,
  parseVni,
  type DeviceName,
  type Ipv4,
  type Vni,
} from '../overlay/values.js';
import type { DiskSpace } from './types.js';

/** $0 of the probe's scripts (seen in `ps` on the host). */
export const PROBE_ARGV0 = 'stack-hosts-check';
/** Where the daemon's data root is mounted (read-only) in the probe container. */
export const DATA_ROOT_TARGET = '/stack-data-root';
/** VNIs of the probe's devices: base+index, the base drawn per run from here (far above the own overlay's pool). */
export const PROBE_VNI_FIRST = 16_000_000;
export const PROBE_VNI_SPAN = 700_000;
/** Device names are `stchk<nonce>.<index>`: at most 15 characters, so at most 1000 hosts take part. */
export const MAX_PROBE_HOSTS = 1000;

/** PID 1: `LIFETIME DEV…` — sleeps at most LIFETIME seconds; deletes the devices when it ends or is stopped. */
export const MAIN_SCRIPT = [
  PATH_LINE,
  'life="$1"; shift',
  'trap \'for d in "$@"; do ip link del "$d" 2>/dev/null; done\' EXIT',
  "trap 'exit 0' TERM INT",
  'sleep "$life" & wait "$!"',
].join('\n');

/**
 * `ADDR PORT OWN_DEV OWN_VNI DEV VNI … -- PEER…`: makes each device (VXLAN, that VNI and port, local ADDR) and
 * sets it up, then floods the first (this host's own) to every peer; prints `ready`.
 */
export const SETUP_SCRIPT = [
  'set -e',
  PATH_LINE,
  'addr="$1"; port="$2"; shift 2',
  'own="$1"',
  'while [ "$#" -gt 0 ] && [ "$1" != "--" ]; do',
  '  ip link add "$1" type vxlan id "$2" dstport "$port" local "$addr"',
  '  ip link set "$1" up',
  '  shift 2',
  'done',
  'shift',
  'for p in "$@"; do bridge fdb append 00:00:00:00:00:00 dev "$own" dst "$p"; done',
  'echo ready',
].join('\n');

/** `DEV…`: one `DEV RX_PACKETS` line per device. */
export const READ_SCRIPT = [
  PATH_LINE,
  'for d in "$@"; do echo "$d $(ip -s link show dev "$d" | awk \'f==1{print $2; exit} /RX:/{f=1}\')"; done',
].join('\n');

/** `DEV…`: deletes the devices that are there. */
export const CLEANUP_SCRIPT = [PATH_LINE, 'for d in "$@"; do ip link del "$d" 2>/dev/null || true; done'].join('\n');

/** One probe run's names: a nonce (6 hex digits) and the VNI base. */
export interface ProbeRun {
  nonce: string;
  vniBase: number;
}

/** A run's values, checked: the nonce is 6 lower-case hex digits, the VNIs of every index fit. */
export function probeRun(nonce: string, vniBase: number): ProbeRun {
  if (!/^[0-9a-f]{6}$/.test(nonce)) throw new OverlayValueError('hosts check', 'the nonce must be 6 hex digits');
  parseVni(vniBase, 'hosts check');
  parseVni(vniBase + MAX_PROBE_HOSTS - 1, 'hosts check');
  return { nonce, vniBase };
}

/** The device (on every host) that carries host `index`'s frames, and its VNI. */
export function probeDevice(run: ProbeRun, index: number): { dev: DeviceName; vni: Vni } {
  if (!Number.isInteger(index) || index < 0 || index >= MAX_PROBE_HOSTS)
    throw new OverlayValueError('hosts check', `host index ${index} is outside 0..${MAX_PROBE_HOSTS - 1}`);
  return {
    dev: parseDeviceName(`stchk${run.nonce}.${index}`, 'hosts check'),
    vni: parseVni(run.vniBase + index, 'hosts check'),
  };
}

export function mainCommand(lifetimeSeconds: number, devices: readonly DeviceName[]): string[] {
  if (!Number.isInteger(lifetimeSeconds) || lifetimeSeconds < 1 || lifetimeSeconds > 3600)
    throw new OverlayValueError('hosts check', 'the probe lifetime must be 1..3600 seconds');
  return [...CHROOT, MAIN_SCRIPT, PROBE_ARGV0, String(lifetimeSeconds), ...devices];
}

/** Setup on one host: its own device first, then the others', then the peers' underlay addresses. */
export function setupCommand(
  addr: Ipv4,
  own: { dev: DeviceName; vni: Vni },
  others: readonly { dev: DeviceName; vni: Vni }[],
  peers: readonly Ipv4[],
): string[] {
  const pairs = [own, ...others].flatMap((d) => [d.dev, String(d.vni)]);
  const checked = peers.map((p) => parseIpv4(p, 'hosts check', 'a peer'));
  return [
    ...CHROOT,
    SETUP_SCRIPT,
    PROBE_ARGV0,
    parseIpv4(addr, 'hosts check'),
    String(VXLAN_PORT),
    ...pairs,
    '--',
    ...checked,
  ];
}

/** busybox udhcpc from the image (no shell): two DHCP discovers, a second apart, out of the device; no lease kept. */
export function sendCommand(dev: DeviceName): string[] {
  return ['udhcpc', '-i', dev, '-n', '-q', '-t', '2', '-T', '1', '-s', '/bin/true'];
}

export function readCommand(devices: readonly DeviceName[]): string[] {
  return [...CHROOT, READ_SCRIPT, PROBE_ARGV0, ...devices];
}

export function cleanupCommand(devices: readonly DeviceName[]): string[] {
  return [...CHROOT, CLEANUP_SCRIPT, PROBE_ARGV0, ...devices];
}

/** busybox df from the image (no shell), POSIX format, 1 KiB blocks. */
export function dfCommand(): string[] {
  return ['df', '-Pk', DATA_ROOT_TARGET];
}

/** The probe container's create body (see the file's comment for every setting). */
export function probeBody(
  image: string,
  run: ProbeRun,
  cmd: string[],
  dataRoot: string | undefined,
): Record<string, unknown> {
  return {
    Image: image,
    Cmd: cmd,
    Entrypoint: [],
    Tty: true,
    Labels: { [Labels.hostsCheck]: run.nonce },
    HostConfig: {
      NetworkMode: 'host',
      CapDrop: ['ALL'],
      CapAdd: ['NET_ADMIN', 'NET_RAW', 'SYS_CHROOT'],
      Privileged: false,
      SecurityOpt: ['no-new-privileges'],
      ReadonlyRootfs: true,
      Binds: ['/:/host:ro'],
      ...(dataRoot ? { Mounts: [{ Type: 'bind', Source: dataRoot, Target: DATA_ROOT_TARGET, ReadOnly: true }] } : {}),
      AutoRemove: true,
    },
  };
}

/** The read script's output (data from a host) → packets received per device; only the devices asked for count. */
export function parseCounters(output: string, devices: readonly string[]): Record<string, number> {
  const wanted = new Set(devices);
  const out: Record<string, number> = {};
  for (const line of output.split(/\r?\n/)) {
    const m = /^(\S+) ([0-9]{1,15})$/.exec(line.trim());
    if (m && wanted.has(m[1])) out[m[1]] = Number(m[2]);
  }
  return out;
}

/** `df -Pk` output (data from a host) → the data root's space; undefined when it is not that format. */
export function parseDf(output: string, path: string): DiskSpace | undefined {
  const lines = output
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter(Boolean);
  if (lines.length !== 2 || !/^Filesystem\s/.test(lines[0])) return undefined;
  const f = lines[1].split(/\s+/);
  if (f.length < 6 || ![f[1], f[3]].every((n) => /^[0-9]{1,15}$/.test(n))) return undefined;
  return { path, totalBytes: Number(f[1]) * 1024, availableBytes: Number(f[3]) * 1024 };
}
