/** The replica `stack exec` runs in: every host listed in parallel, then pickReplica; hosts that fail are named. */
import type { HostClient } from '../docker/client.js';
import { collate } from '../collate.js';
import type { ObservedContainer } from '../observe/types.js';
import type { LogsScope } from './logs-output.js';
import { listReplicas, matches, pickReplica } from './replicas.js';

export interface Chosen {
  replica?: ObservedContainer;
  unreachable: { host: string; message: string }[];
}

export async function chooseReplica(clients: ReadonlyMap<string, HostClient>, scope: LogsScope): Promise<Chosen> {
  const unreachable: Chosen['unreachable'] = [];
  const lists = await Promise.all(
    [...clients.values()].map((client) =>
      listReplicas(client, scope.stack, scope.owner).catch((err: unknown) => {
        unreachable.push({ host: client.name, message: err instanceof Error ? err.message : String(err) });
        return [];
      }),
    ),
  );
  const replica = pickReplica(lists.flat().filter((c) => matches(c, scope.targets)));
  return { ...(replica ? { replica } : {}), unreachable: unreachable.sort((a, b) => collate(a.host, b.host)) };
}
