/**
 * The short-lived helper that programs a host's VXLAN device with the host's own iproute2: a container
 * with the host network, NET_ADMIN and the host's root at /host, running `chroot /host /bin/sh -c …`.
 * No privileged mode, nothing left running, no binary shipped. Scripts are built by pure functions.
 */
import type { HostClient } from '../docker/client.js';
import { Labels } from '../labels.js';
import { bridgeName, deviceName } from './names.js';
import type { HostDevices } from './types.js';

const ZERO_MAC = '00:00:00:00:00:00';
/** The helper image's PATH is its own; the host's tools live in the usual sbin/bin directories. */
const PATH_LINE = 'export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** Creates the device if missing, attaches it to the bridge, and makes its flood list exactly `peers`. */
export function programScript(vni: number, local: string, peers: string[], mtu: number): string {
  const dev = deviceName(vni);
  const lines = [
    'set -e',
    PATH_LINE,
    `ip link show ${dev} >/dev/null 2>&1 || ip link add ${dev} type vxlan id ${vni} dstport 4789 local ${local}`,
    `ip link set ${dev} mtu ${mtu} master ${bridgeName(vni)} up`,
    `for d in $(bridge fdb show dev ${dev} | awk '$1=="${ZERO_MAC}"{for(i=1;i<NF;i++) if($i=="dst") print $(i+1)}'); do bridge fdb del ${ZERO_MAC} dev ${dev} dst "$d"; done`,
    ...[...peers].sort().map((p) => `bridge fdb append ${ZERO_MAC} dev ${dev} dst ${p}`),
  ];
  return lines.join('\n');
}

export function unprogramScript(vni: number): string {
  return `${PATH_LINE}; ip link del ${deviceName(vni)} 2>/dev/null || true`;
}

/** Lists every VXLAN device with its flood destinations, one `DEVICE dst…` line each. */
export function listScript(): string {
  return `${PATH_LINE}; for d in $(ip -o link show type vxlan | awk -F': ' '{print $2}' | cut -d@ -f1); do echo "$d $(bridge fdb show dev $d | awk '$1=="${ZERO_MAC}"{for(i=1;i<NF;i++) if($i=="dst") printf "%s ", $(i+1)}')"; done`;
}

export function parseDeviceList(output: string): HostDevices {
  const out: HostDevices = {};
  for (const line of output.split(/\r?\n/)) {
    const [dev, ...dsts] = line.trim().split(/\s+/).filter(Boolean);
    if (dev) out[dev] = dsts.sort();
  }
  return out;
}

/** Runs a script as the helper on a host and returns its output; throws with the output when it fails. */
export async function runHelper(client: HostClient, image: string, script: string, purpose: string): Promise<string> {
  const docker = client.docker;
  const container = await docker.createContainer({
    Image: image,
    Cmd: ['chroot', '/host', '/bin/sh', '-c', script],
    Tty: true,
    Labels: { [Labels.managed]: 'true', [Labels.replaceRole]: 'overlay-helper' },
    HostConfig: { NetworkMode: 'host', CapAdd: ['NET_ADMIN'], Binds: ['/:/host'] },
  });
  try {
    await container.start();
    const { StatusCode } = (await container.wait()) as { StatusCode: number };
    const output = ((await container.logs({ stdout: true, stderr: true, follow: false })) as unknown as Buffer).toString('utf8');
    if (StatusCode !== 0) throw new Error(`host ${client.name}: overlay helper (${purpose}) exited ${StatusCode}: ${output.trim().slice(0, 500)}`);
    return output;
  } finally {
    await container.remove({ force: true }).catch(() => undefined);
  }
}
