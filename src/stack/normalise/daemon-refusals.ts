/**
 * What the Engine (or runc under it) would refuse at create or start, caught at validate: capability names (moby
 * upper-cases them and adds `CAP_`, then refuses one it does not know), ulimit names and pairs (a soft limit above
 * its hard one), and sysctls that are not namespaced (runc allows only `net.*`, the IPC `kernel.*` ones and
 * `fs.mqueue.*` in a container; `net.*` not with the host's network, the IPC ones not with the host's IPC).
 */
import type { ServiceSpec } from '../types.js';
import type { KeyPath } from '../key-path.js';
import { memberKey } from './values.js';
import type { NormaliseContext } from './context.js';

const CAPABILITIES = new Set(
  (
    'CHOWN DAC_OVERRIDE DAC_READ_SEARCH FOWNER FSETID KILL SETGID SETUID SETPCAP LINUX_IMMUTABLE NET_BIND_SERVICE ' +
    'NET_BROADCAST NET_ADMIN NET_RAW IPC_LOCK IPC_OWNER SYS_MODULE SYS_RAWIO SYS_CHROOT SYS_PTRACE SYS_PACCT ' +
    'SYS_ADMIN SYS_BOOT SYS_NICE SYS_RESOURCE SYS_TIME SYS_TTY_CONFIG MKNOD LEASE AUDIT_WRITE AUDIT_CONTROL SETFCAP ' +
    'MAC_OVERRIDE MAC_ADMIN SYSLOG WAKE_ALARM BLOCK_SUSPEND AUDIT_READ PERFMON BPF CHECKPOINT_RESTORE'
  ).split(' '),
);

const ULIMITS = new Set(
  'core cpu data fsize locks memlock msgqueue nice nofile nproc rss rtprio rttime sigpending stack'.split(' '),
);

const IPC_SYSCTLS = new Set([
  'kernel.msgmax',
  'kernel.msgmnb',
  'kernel.msgmni',
  'kernel.sem',
  'kernel.shmall',
  'kernel.shmmax',
  'kernel.shmmni',
  'kernel.shm_rmid_forced',
]);

export function daemonRefusals(
  spec: ServiceSpec,
  service: Record<string, unknown>,
  at: KeyPath,
  context: NormaliseContext,
): void {
  for (const key of ['cap_add', 'cap_drop'] as const) capabilityNames(service[key], [...at, key], context);
  ulimitPairs(spec, [...at, 'ulimits'], context);
  sysctlNames(spec, service.sysctls, [...at, 'sysctls'], context);
}

function capabilityNames(value: unknown, at: KeyPath, context: NormaliseContext): void {
  if (!Array.isArray(value)) return;
  value.forEach((raw, i) => {
    const name = String(raw).toUpperCase().replace(/^CAP_/, '');
    if (name !== 'ALL' && !CAPABILITIES.has(name))
      context.problems.error([...at, i], `unknown capability ${String(raw)}: the Engine refuses it`, {
        hint: 'use a Linux capability name such as NET_ADMIN or CAP_SYS_TIME (capabilities(7)), or ALL',
      });
  });
}

function ulimitPairs(spec: ServiceSpec, at: KeyPath, context: NormaliseContext): void {
  for (const [name, { soft, hard }] of Object.entries(spec.ulimits)) {
    if (!ULIMITS.has(name))
      context.problems.error([...at, name], `unknown ulimit ${name}: the Engine refuses it`, {
        atKey: true,
        hint: `use one of ${[...ULIMITS].join(', ')}`,
      });
    else if (soft > hard)
      context.problems.error([...at, name], `ulimit ${name}: soft limit ${soft} is above hard limit ${hard}`, {
        hint: 'the soft limit must be at most the hard one',
      });
  }
}

function sysctlNames(spec: ServiceSpec, raw: unknown, at: KeyPath, context: NormaliseContext): void {
  for (const name of Object.keys(spec.sysctls)) {
    const key = memberKey(raw, name);
    const where = [...at, ...(key === undefined ? [] : [key])];
    const net = name.startsWith('net.');
    const ipc = IPC_SYSCTLS.has(name) || name.startsWith('fs.mqueue.');
    if (!net && !ipc)
      context.problems.error(where, `sysctl ${name} is not namespaced: runc refuses it in a container`, {
        atKey: typeof key === 'string',
        hint: 'only net.*, fs.mqueue.* and the IPC kernel.* settings (kernel.shmmax, kernel.sem, …) can be set per container',
      });
    else if (net && spec.networkMode === 'host')
      context.problems.error(where, `sysctl ${name} cannot be set with network_mode host: it would change the host's`, {
        atKey: typeof key === 'string',
        hint: 'remove it, or run the service on its own network',
      });
    else if (ipc && spec.ipc === 'host')
      context.problems.error(where, `sysctl ${name} cannot be set with ipc host: it would change the host's`, {
        atKey: typeof key === 'string',
        hint: 'remove it, or drop ipc: host',
      });
  }
}
