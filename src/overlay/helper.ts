/**
 * The short-lived helper that programs a host's VXLAN device with the host's own iproute2: a container
 * with the host network, NET_ADMIN and the host's root at /host, running `chroot /host /bin/sh -c …`.
 * No privileged mode, nothing left running (it is removed once it exited), no binary shipped. Its create
 * body and its scripts are built by pure functions.
 */
import type { HostClient } from '../docker/client.js';
import { Labels } from '../labels.js';
import { bridgeName, deviceName } from './names.js';
import type { HostDevices } from './types.js';

const ZERO_MAC = '00:00:00:00:00:00';
export const VXLAN_PORT = 4789;
/** The helper image's PATH is its own; the host's tools live in the usual sbin/bin directories. */
const PATH_LINE = 'export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
/** `ip -d -o link show dev D` → `VNI LOCAL DSTPORT MTU` (`-` for what it lacks). */
const DEVICE_INFO_AWK = `awk '{for(i=1;i<NF;i++){if($i=="mtu"&&m=="")m=$(i+1); if($i=="vxlan"&&$(i+1)=="id")v=$(i+2); if($i=="local")l=$(i+1); if($i=="dstport")p=$(i+1)}} END{print (v==""?"-":v)" "(l==""?"-":l)" "(p==""?"-":p)" "(m==""?"-":m)}'`;
const FLOOD_AWK = `awk '$1=="${ZERO_MAC}"{for(i=1;i<NF;i++) if($i=="dst") printf "%s ", $(i+1)}'`;

/**
 * Makes the host's device exactly what the allocation says: a device with another VNI, `local` address
 * (the host's underlay moved) or port is deleted and created again; then MTU, bridge and up, and the flood
 * list set to exactly `peers`.
 */
export function programScript(vni: number, local: string, peers: string[], mtu: number): string {
  const dev = deviceName(vni);
  const lines = [
    'set -e',
    PATH_LINE,
    `cur=$(ip -d -o link show dev ${dev} 2>/dev/null | ${DEVICE_INFO_AWK})`,
    `case "$cur" in "${vni} ${local} ${VXLAN_PORT} "*) ;; *) ip link del ${dev} 2>/dev/null || true; ip link add ${dev} type vxlan id ${vni} dstport ${VXLAN_PORT} local ${local} ;; esac`,
    `ip link set ${dev} mtu ${mtu} master ${bridgeName(vni)} up`,
    `for d in $(bridge fdb show dev ${dev} | awk '$1=="${ZERO_MAC}"{for(i=1;i<NF;i++) if($i=="dst") print $(i+1)}'); do bridge fdb del ${ZERO_MAC} dev ${dev} dst "$d"; done`,
    ...[...peers].sort().map((p) => `bridge fdb append ${ZERO_MAC} dev ${dev} dst ${p}`),
  ];
  return lines.join('\n');
}

export function unprogramScript(vni: number): string {
  return `${PATH_LINE}; ip link del ${deviceName(vni)} 2>/dev/null || true`;
}

/** Lists every VXLAN device, one `DEVICE VNI LOCAL DSTPORT MTU dst…` line each. */
export function listScript(): string {
  return `${PATH_LINE}; for d in $(ip -o link show type vxlan | awk -F': ' '{print $2}' | cut -d@ -f1); do echo "$d $(ip -d -o link show dev $d | ${DEVICE_INFO_AWK}) $(bridge fdb show dev $d | ${FLOOD_AWK})"; done`;
}

export function parseDeviceList(output: string): HostDevices {
  const out: HostDevices = {};
  const num = (s: string | undefined) => (s && /^\d+$/.test(s) ? Number(s) : undefined);
  for (const line of output.split(/\r?\n/)) {
    const [dev, vni, local, dstport, mtu, ...peers] = line.trim().split(/\s+/).filter(Boolean);
    if (!dev) continue;
    out[dev] = {
      ...(num(vni) !== undefined ? { vni: num(vni) } : {}),
      ...(local && local !== '-' ? { local } : {}),
      ...(num(dstport) !== undefined ? { dstport: num(dstport) } : {}),
      ...(num(mtu) !== undefined ? { mtu: num(mtu) } : {}),
      peers: peers.sort(),
    };
  }
  return out;
}

/**
 * The helper's create body: the host's network namespace and NET_ADMIN only (never privileged), the host's
 * root read through /host, labelled as stack's helper for `stack`.
 */
export function helperBody(image: string, script: string, stack: string): Record<string, unknown> {
  return {
    Image: image,
    Cmd: ['chroot', '/host', '/bin/sh', '-c', script],
    Tty: true,
    Labels: { [Labels.managed]: 'true', [Labels.replaceRole]: 'overlay-helper', [Labels.overlayHelper]: stack },
    HostConfig: { NetworkMode: 'host', CapAdd: ['NET_ADMIN'], Privileged: false, Binds: ['/:/host'], AutoRemove: false },
  };
}

/**
 * Runs a script as the helper on a host and returns its output; throws with the output when it fails. The
 * container is removed whatever happens (AutoRemove would race the read of its logs); a helper that could
 * not be removed is an error too, so none is left behind unnoticed.
 */
export async function runHelper(client: HostClient, image: string, script: string, purpose: string, stack: string): Promise<string> {
  const container = await client.docker.createContainer(helperBody(image, script, stack));
  let output = '';
  let failure: unknown;
  try {
    await container.start();
    const { StatusCode } = (await container.wait()) as { StatusCode: number };
    output = ((await container.logs({ stdout: true, stderr: true, follow: false })) as unknown as Buffer).toString('utf8');
    if (StatusCode !== 0) failure = new Error(`host ${client.name}: overlay helper (${purpose}) exited ${StatusCode}: ${output.trim().slice(0, 500)}`);
  } catch (err) {
    failure = err;
  }
  try {
    await container.remove({ force: true });
  } catch (err) {
    const status = (err as { statusCode?: number }).statusCode;
    if (status !== 404 && !failure) failure = new Error(`host ${client.name}: overlay helper (${purpose}) ${container.id} could not be removed: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (failure) throw failure;
  return output;
}
