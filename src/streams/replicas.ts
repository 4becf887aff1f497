/**
 * Which containers `stack logs` and `stack exec` read: the stack's replicas on a host (its own identity's when known,
 * else every container with its labels), narrowed to the services and slots asked for. Replicas sort by service,
 * slot (numbers as numbers) and host, so output and choices are the same on every run.
 */
import type { HostClient } from '../docker/client.js';
import { collate } from '../collate.js';
import { stackFilter, Roles, type StackOwner } from '../labels.js';
import { parseContainer, type ContainerListEntry } from '../observe/parse.js';
import type { ObservedContainer } from '../observe/types.js';

/** `SERVICE` or `SERVICE.N` as given on the command line, checked against the stack's services. */
export interface Target {
  service: string;
  /** Absent: every replica of the service. */
  slot?: string;
}

/** Parses `SERVICE[.N]`; a name that is itself a service wins over a split at its last dot. */
export function parseTarget(arg: string, services: readonly string[]): Target | undefined {
  if (services.includes(arg)) return { service: arg };
  const dot = arg.lastIndexOf('.');
  if (dot <= 0 || dot === arg.length - 1) return undefined;
  const service = arg.slice(0, dot);
  return services.includes(service) ? { service, slot: arg.slice(dot + 1) } : undefined;
}

export function matches(c: Pick<ObservedContainer, 'service' | 'slot'>, targets: readonly Target[]): boolean {
  if (!targets.length) return true;
  return targets.some((t) => t.service === c.service && (t.slot === undefined || t.slot === c.slot));
}

/** The stack's replica containers on one host (not the files volumes' short-lived helpers). */
export async function listReplicas(
  client: HostClient,
  stack: string,
  owner: StackOwner | undefined,
): Promise<ObservedContainer[]> {
  const entries = (await client.listContainers(stackFilter(stack, owner))) as unknown as ContainerListEntry[];
  return entries.map((e) => parseContainer(client.name, e)).filter((c) => c.service !== '' && c.role !== Roles.helper);
}

const slotNumber = (slot: string): number => (/^[0-9]+$/.test(slot) ? Number(slot) : Number.MAX_SAFE_INTEGER);

/** Service, slot (numerically), host, then kept replicas after the others. */
export function compareReplicas(a: ObservedContainer, b: ObservedContainer): number {
  return (
    collate(a.service, b.service) ||
    slotNumber(a.slot) - slotNumber(b.slot) ||
    collate(a.slot, b.slot) ||
    collate(a.host, b.host) ||
    Number(a.role === Roles.kept) - Number(b.role === Roles.kept) ||
    collate(a.name, b.name)
  );
}

/**
 * The replica `exec` runs in: among the running ones that match, the first healthy one — or, when none has a
 * healthcheck, the first running one; a replica whose healthcheck fails or is starting only when nothing better is.
 */
export function pickReplica(candidates: readonly ObservedContainer[]): ObservedContainer | undefined {
  const running = candidates.filter((c) => c.state === 'running' && c.role !== Roles.kept).sort(compareReplicas);
  return (
    running.find((c) => c.health === 'healthy') ??
    running.find((c) => c.health === undefined) ??
    running.find((c) => c.health === 'starting') ??
    running[0]
  );
}
