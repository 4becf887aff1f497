/**
 * `stack logs` without --follow: every matching replica's log on every host, read in parallel and written in the
 * daemons' timestamp order (a stable sort: one replica's lines keep their order). A host that cannot be listed is
 * named once and the others go on; a container gone between the list and its read is skipped.
 */
import type { HostClient } from '../docker/client.js';
import { openLogs, type LogsQuery } from '../docker/container-io.js';
import type { ObservedContainer } from '../observe/types.js';
import { byTime, type LogLine, type ReplicaRef } from './log-line.js';
import type { LogsOutput, LogsScope, LogNotice } from './logs-output.js';
import { compareReplicas, listReplicas, matches } from './replicas.js';
import { readReplicaLog } from './replica-log.js';

export interface DumpResult {
  /** Every line read, per container id: the last key (followers start after it). */
  lastKeys: Map<string, string>;
  /** The replicas read, in replica order. */
  replicas: ObservedContainer[];
  unreachable: string[];
}

export const refOf = (c: ObservedContainer): ReplicaRef => ({
  service: c.service,
  slot: c.slot,
  host: c.host,
  id: c.id,
});

const messageOf = (err: unknown): string => (err instanceof Error ? err.message : String(err));
const gone = (err: unknown): boolean => (err as { statusCode?: number })?.statusCode === 404;

/** Reads one replica's whole log (as the query narrows it). */
export async function readAll(client: HostClient, c: ObservedContainer, query: LogsQuery): Promise<LogLine[]> {
  const lines: LogLine[] = [];
  const stop = new AbortController();
  const stream = await openLogs(client, c.id, { ...query, follow: false }, stop.signal);
  await readReplicaLog(stream, refOf(c), (l) => lines.push(l));
  return lines;
}

export async function dumpLogs(
  clients: ReadonlyMap<string, HostClient>,
  scope: LogsScope,
  query: Omit<LogsQuery, 'follow'>,
  out: LogsOutput,
): Promise<DumpResult> {
  const result: DumpResult = { lastKeys: new Map(), replicas: [], unreachable: [] };
  const notices: LogNotice[] = [];
  const perHost = await Promise.all(
    [...clients.values()].map(async (client) => {
      let replicas: ObservedContainer[];
      try {
        replicas = (await listReplicas(client, scope.stack, scope.owner)).filter((c) => matches(c, scope.targets));
      } catch (err) {
        result.unreachable.push(client.name);
        notices.push({ kind: 'unreachable', host: client.name, message: messageOf(err) });
        return [];
      }
      result.replicas.push(...replicas);
      const read = await Promise.all(
        replicas.map((c) =>
          readAll(client, c, { ...query, follow: false }).catch((err: unknown) => {
            if (!gone(err))
              notices.push({ kind: 'failed', host: client.name, container: c.name, message: messageOf(err) });
            return [];
          }),
        ),
      );
      return read.flat();
    }),
  );
  for (const n of notices) out.notice(n);
  result.replicas.sort(compareReplicas);
  out.begin?.(result.replicas.map(refOf));
  for (const line of byTime(perHost.flat())) {
    result.lastKeys.set(line.replica.id, line.key);
    out.line(line);
  }
  return result;
}
