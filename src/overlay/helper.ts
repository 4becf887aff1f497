/**
 * The short-lived helper that programs a host's VXLAN device with the host's own iproute2: a container
 * with the host network, NET_ADMIN and SYS_CHROOT only (every other capability dropped, never privileged,
 * no new privileges, its own root read-only), the host's root read-only at /host, running
 * `chroot /host /bin/sh -c SCRIPT stack-helper ARG…`. Nothing left running (it is removed once it exited), no
 * binary shipped. Its create body and argv are built by pure functions.
 *
 * Nothing is ever interpolated into a shell. Each SCRIPT below is a constant: it contains no value, reads every
 * value as a positional parameter ("$1", "$@"), and always double-quotes it, so a value can only ever be one
 * argument of `ip` or `bridge`. A plain argv (`ip -batch`) could not do what the program script must: read the
 * device, compare it with what it must be, and only then delete and create it. The values are also parsed into
 * their types first (values.ts: VNI, MTU, IPv4, device names), so a bad one stops before any container exists.
 */
import type { HostClient } from '../docker/client.js';
import { Labels, ownerLabels, type StackOwner } from '../labels.js';
import { STACK_DEVICE } from './kv-schema.js';
import { bridgeName, deviceName } from './names.js';
import type { HostDevices } from './types.js';
import {
  OverlayValueError,
  parseDeviceName,
  parseIpv4,
  parseMtu,
  parsePeers,
  parseVni,
  type DeviceName,
  type Ipv4,
  type Mtu,
  type Vni,
} from './values.js';

export const VXLAN_PORT = 4789;
/** $0 of every helper script, shown by `ps` on the host while it runs. */
export const HELPER_ARGV0 = 'stack-helper';
/** How a helper runs a script in the host's root (bound at /host), with the argv that follows as its $0 $1 …. */
export const CHROOT = ['chroot', '/host', '/bin/sh', '-c'];

/** The helper image's PATH is its own; the host's tools live in the usual sbin/bin directories. */
export const PATH_LINE = 'export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
/** `ip -d -o link show dev D` → `VNI LOCAL DSTPORT MTU` (`-` for what it lacks). */
const DEVICE_INFO_AWK =
  'awk \'{for(i=1;i<NF;i++){if($i=="mtu"&&m=="")m=$(i+1); if($i=="vxlan"&&$(i+1)=="id")v=$(i+2); if($i=="local")l=$(i+1); if($i=="dstport")p=$(i+1)}} END{print (v==""?"-":v)" "(l==""?"-":l)" "(p==""?"-":p)" "(m==""?"-":m)}\'';
/** `bridge fdb show dev D` → the flood (all-zeros MAC) destinations, one per line. */
const FLOOD_AWK = 'awk \'$1=="00:00:00:00:00:00"{for(i=1;i<NF;i++) if($i=="dst") print $(i+1)}\'';
/** The same on one line, space-separated (for the listing). */
const FLOOD_LINE_AWK = 'awk \'$1=="00:00:00:00:00:00"{for(i=1;i<NF;i++) if($i=="dst") printf "%s ", $(i+1)}\'';

/**
 * `stack-helper DEV BRIDGE VNI LOCAL PORT MTU PEER…`: makes the host's device exactly that. A device with
 * another VNI, `local` address (the host's underlay moved) or port is deleted and created again; then MTU,
 * bridge and up, and the flood list set to exactly the peers.
 */
export const PROGRAM_SCRIPT = [
  'set -e',
  PATH_LINE,
  'dev="$1"; br="$2"; vni="$3"; addr="$4"; port="$5"; mtu="$6"; shift 6',
  'cur=$(ip -d -o link show dev "$dev" 2>/dev/null | ' + DEVICE_INFO_AWK + ')',
  'case "$cur" in "$vni $addr $port "*) ;; *) ip link del "$dev" 2>/dev/null || true; ip link add "$dev" type vxlan id "$vni" dstport "$port" local "$addr" ;; esac',
  'ip link set "$dev" mtu "$mtu" master "$br" up',
  'for d in $(bridge fdb show dev "$dev" | ' +
    FLOOD_AWK +
    '); do bridge fdb del 00:00:00:00:00:00 dev "$dev" dst "$d"; done',
  'for p in "$@"; do bridge fdb append 00:00:00:00:00:00 dev "$dev" dst "$p"; done',
].join('\n');

/** `stack-helper DEV`: removes the device if it is there. */
export const UNPROGRAM_SCRIPT = [PATH_LINE, 'ip link del "$1" 2>/dev/null || true'].join('\n');

/**
 * Lists stack's VXLAN devices (`stvx…`), one `DEVICE VNI LOCAL DSTPORT MTU dst…` line each. Takes no argument. A
 * device removed while it is listed (another apply) gives `- - - -`, not an error line (the TTY merges stderr).
 */
export const LIST_SCRIPT = [
  PATH_LINE,
  'for d in $(ip -o link show type vxlan | awk -F": " \'{print $2}\' | cut -d@ -f1); do',
  '  case "$d" in stvx*) echo "$d $(ip -d -o link show dev "$d" 2>/dev/null | ' +
    DEVICE_INFO_AWK +
    ') $(bridge fdb show dev "$d" 2>/dev/null | ' +
    FLOOD_LINE_AWK +
    ')" ;; esac',
  'done',
].join('\n');

/** What a helper run does, every value already parsed into its type. */
export type HelperTask =
  | { kind: 'program'; device: DeviceName; bridge: DeviceName; vni: Vni; local: Ipv4; mtu: Mtu; peers: Ipv4[] }
  | { kind: 'unprogram'; device: DeviceName }
  | { kind: 'list' };

/** The program task for a network's device, each value parsed; `where` says where they came from. */
export function programTask(
  v: { vni: unknown; local: unknown; mtu: unknown; peers: unknown },
  where: string,
): HelperTask {
  const vni = parseVni(v.vni, where);
  return {
    kind: 'program',
    device: parseDeviceName(deviceName(vni), where),
    bridge: parseDeviceName(bridgeName(vni), where),
    vni,
    local: parseIpv4(v.local, where, 'the underlay address'),
    mtu: parseMtu(v.mtu, where),
    peers: parsePeers(v.peers, where),
  };
}

export function unprogramTask(vni: unknown, where: string): HelperTask {
  return { kind: 'unprogram', device: parseDeviceName(deviceName(parseVni(vni, where)), where) };
}

/** The helper's command: a constant script and the task's values as separate arguments. */
export function helperCommand(task: HelperTask): string[] {
  switch (task.kind) {
    case 'program':
      return [
        ...CHROOT,
        PROGRAM_SCRIPT,
        HELPER_ARGV0,
        task.device,
        task.bridge,
        String(task.vni),
        task.local,
        String(VXLAN_PORT),
        String(task.mtu),
        ...task.peers,
      ];
    case 'unprogram':
      return [...CHROOT, UNPROGRAM_SCRIPT, HELPER_ARGV0, task.device];
    case 'list':
      return [...CHROOT, LIST_SCRIPT, HELPER_ARGV0];
    default: {
      const never: never = task;
      throw new Error(`unknown helper task ${JSON.stringify(never)}`);
    }
  }
}

const optional = <T>(text: string, parse: (s: string) => T): T | undefined => (text === '-' ? undefined : parse(text));
const port = (where: string) => (s: string) => {
  if (!/^[0-9]{1,5}$/.test(s) || Number(s) < 1 || Number(s) > 65535)
    throw new OverlayValueError(where, 'dstport must be an integer 1..65535');
  return Number(s);
};
const anyMtu = (where: string) => (s: string) => {
  if (!/^[0-9]{2,5}$/.test(s) || Number(s) > 65535)
    throw new OverlayValueError(where, 'mtu must be an integer 10..65535');
  return Number(s);
};

/**
 * The list helper's output (data from a host), parsed strictly: each line `stvx<VNI> VNI LOCAL DSTPORT MTU
 * dst…`, `-` where the device lacks a field. Anything else is an error naming the host and the line.
 */
export function parseDeviceList(output: string, host: string): HostDevices {
  const out: HostDevices = {};
  output.split(/\r?\n/).forEach((text, i) => {
    const fields = text.trim().split(/\s+/).filter(Boolean);
    if (!fields.length) return;
    const where = `host ${host}: overlay helper output, line ${i + 1}`;
    const [dev, vni, local, dstport, mtu, ...peers] = fields;
    if (!STACK_DEVICE.test(dev) || fields.length < 5)
      throw new OverlayValueError(where, 'not a `stvx<VNI> VNI LOCAL DSTPORT MTU dst…` line');
    const seen = {
      vni: optional(vni, (s) => parseVni(s, where)),
      local: optional(local, (s) => parseIpv4(s, where, 'local')),
      dstport: optional(dstport, port(where)),
      mtu: optional(mtu, anyMtu(where)),
    };
    out[dev] = {
      ...Object.fromEntries(Object.entries(seen).filter(([, v]) => v !== undefined)),
      peers: parsePeers(peers, where),
    };
  });
  return out;
}

/**
 * The helper's create body: the host's network namespace; NET_ADMIN (ip, bridge) and SYS_CHROOT (chroot) and no
 * other capability; never privileged, no new privileges; its own root read-only; the host's root read-only at
 * /host (the kernel's netlink needs no file written); labelled as stack's helper for `stack`.
 */
export function helperBody(
  image: string,
  task: HelperTask,
  stack: string,
  owner?: StackOwner,
): Record<string, unknown> {
  return {
    Image: image,
    Cmd: helperCommand(task),
    Entrypoint: [],
    Tty: true,
    Labels: {
      [Labels.managed]: 'true',
      [Labels.replaceRole]: 'overlay-helper',
      [Labels.overlayHelper]: stack,
      ...ownerLabels(owner),
    },
    HostConfig: {
      NetworkMode: 'host',
      CapDrop: ['ALL'],
      CapAdd: ['NET_ADMIN', 'SYS_CHROOT'],
      Privileged: false,
      SecurityOpt: ['no-new-privileges'],
      ReadonlyRootfs: true,
      Binds: ['/:/host:ro'],
      AutoRemove: false,
    },
  };
}

/**
 * Runs a task as the helper on a host and returns its output; throws with the output when it fails. The
 * container is removed whatever happens (AutoRemove would race the read of its logs); a helper that could
 * not be removed is an error too, so none is left behind unnoticed.
 */
export async function runHelper(
  client: HostClient,
  image: string,
  task: HelperTask,
  purpose: string,
  stack: string,
  owner?: StackOwner,
): Promise<string> {
  const container = await client.docker.createContainer(helperBody(image, task, stack, owner));
  let output = '';
  let failure: Error | undefined;
  try {
    await container.start();
    const { StatusCode } = (await container.wait()) as { StatusCode: number };
    output = (await container.logs({ stdout: true, stderr: true, follow: false })).toString('utf8');
    if (StatusCode !== 0)
      failure = new Error(
        `host ${client.name}: overlay helper (${purpose}) exited ${StatusCode}: ${output.trim().slice(0, 500)}`,
      );
  } catch (err) {
    failure = err as Error;
  }
  try {
    await container.remove({ force: true });
  } catch (err) {
    const status = (err as { statusCode?: number }).statusCode;
    if (status !== 404 && !failure)
      failure = new Error(
        `host ${client.name}: overlay helper (${purpose}) ${container.id} could not be removed: ${err instanceof Error ? err.message : String(err)}`,
      );
  }
  if (failure) throw failure;
  return output;
}
