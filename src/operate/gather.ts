/**
 * What ps and status read from the hosts: the stack's identity and hash key (its state store's), one observe of every
 * host (no registry asked), and for ps each container's inspect. Read-only; prints nothing: warnings go back.
 */
import type { Diagnostic } from '../errors.js';
import type { DesiredState } from '../stack/types.js';
import type { StackOwner } from '../labels.js';
import type { HashKey } from '../sensitive.js';
import { clientsFor, type HostClient } from '../docker/client.js';
import { observe, type ObservedState } from '../observe/index.js';
import { hasStackLabels } from '../observe/owner.js';
import { withStore } from '../deploy/locked.js';
import { provisionalOwner } from '../state/identity.js';
import type { StoreOptions } from '../deploy/io.js';
import type { ContainerDetails } from '../plan/ps.js';
import type { RevisionSummary } from '../state/types.js';

export interface Gathered {
  observed: ObservedState;
  owner?: StackOwner;
  /** Absent when the state store holds none (before the first apply) or could not be read. */
  hashKey?: HashKey;
  /** The newest revision (what was deployed last, and from which commit); absent before the first apply. */
  latest?: RevisionSummary;
  /** The hosts that answered. */
  usable: Set<string>;
  /** One error per host that could not be reached. */
  unreachable: Diagnostic[];
  warnings: Diagnostic[];
  clients: ReadonlyMap<string, HostClient>;
}

/**
 * A store it cannot reach (Consul down) does not stop a read: it warns and counts every container with the stack's
 * labels, whatever identity they carry.
 */
async function readIdentity(
  desired: DesiredState,
  opts: StoreOptions,
  warnings: Diagnostic[],
): Promise<{ owner?: StackOwner; hashKey?: HashKey; latest?: RevisionSummary }> {
  try {
    return await withStore(desired, opts, 'the stack identity', async ({ store }) => ({
      owner: (await store.identity(desired.name)) ?? provisionalOwner(store.where),
      hashKey: await store.hashKey(desired.name),
      latest: await store.latest(desired.name),
    }));
  } catch (err) {
    const summary = err instanceof Error ? err.message : String(err); // an ExitError's message is its diagnostics' summaries
    warnings.push({
      severity: 'warning',
      summary: `could not read the identity of stack ${desired.name}: ${summary}`,
      detail: 'counting every container with its labels, whichever stack identity made them; drift is not told',
    });
    return {};
  }
}

function countEveryIdentity(observed: ObservedState): void {
  for (const h of Object.values(observed.hosts))
    h.containers = [
      ...h.containers,
      ...(h.foreignContainers ?? []).filter((c) => hasStackLabels(c.labels, observed.stack)),
    ];
}

/** Identity, then one observe of every host in parallel. */
export async function gather(desired: DesiredState, opts: StoreOptions): Promise<Gathered> {
  const warnings: Diagnostic[] = [];
  const { owner, hashKey, latest } = await readIdentity(desired, opts, warnings);
  const clients = clientsFor(desired.hosts);
  const observed = await observe(desired, clients, { resolveDigests: false, ...(owner ? { owner } : {}) });
  if (!owner) countEveryIdentity(observed);
  const hosts = Object.values(observed.hosts);
  return {
    observed,
    ...(owner ? { owner } : {}),
    ...(hashKey ? { hashKey } : {}),
    ...(latest ? { latest } : {}),
    usable: new Set(hosts.filter((h) => !h.error).map((h) => h.name)),
    unreachable: hosts
      .filter((h) => h.error)
      .map((h) => ({
        severity: 'error',
        summary: `unreachable: ${h.error!.replace(`host ${h.name}: `, '')}`,
        where: { host: h.name },
      })),
    warnings,
    clients,
  };
}

/** Inspects every observed container (restart count, start time); one that vanished meanwhile is left out. */
export async function containerDetails(g: Gathered): Promise<Map<string, ContainerDetails>> {
  const out = new Map<string, ContainerDetails>();
  await Promise.all(
    Object.values(g.observed.hosts).flatMap((h) =>
      h.containers.map(async (c) => {
        const i = await g.clients
          .get(h.name)!
          .inspectContainer(c.id)
          .catch(() => undefined);
        if (!i) return;
        const started = i.State?.StartedAt;
        out.set(c.id, {
          restartCount: typeof i.RestartCount === 'number' ? i.RestartCount : 0,
          ...(typeof started === 'string' && !started.startsWith('0001-') ? { startedAt: started } : {}),
        });
      }),
    ),
  );
  return out;
}
