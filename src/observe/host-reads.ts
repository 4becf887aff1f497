/**
 * A host's reads for one observation: its API version, then at once one list per kind (containers, networks,
 * volumes — unfiltered — and images) and /info when the run needs it. The apply's look starts them beside its Consul
 * reads (startHostReads, src/deploy/look.ts) and observe takes them (takeHostReads): each client's reads are sent
 * once, and the lists no longer wait for the lock's and the revision's answers.
 */
import type { HostClient, EngineVersion } from '../docker/client.js';

type Answer<K extends keyof HostClient> = HostClient[K] extends (...a: never[]) => Promise<infer T> ? T : never;

export interface HostReads {
  version: EngineVersion;
  containers: Answer<'listContainers'>;
  networks: Answer<'listNetworks'>;
  volumes: Answer<'listVolumes'>;
  images: Answer<'listImages'>;
  info: Answer<'info'> | undefined;
}

interface Started {
  engineInfo: boolean;
  reads: Promise<HostReads>;
}

const started = new WeakMap<HostClient, Started>();

async function readHost(client: HostClient, engineInfo: boolean): Promise<HostReads> {
  // First the API version: every list after it is asked at the version this host speaks.
  const version = await client.negotiate();
  const [containers, networks, volumes, images, info] = await Promise.all([
    client.listContainers({}),
    client.listNetworks({}),
    client.listVolumes({}),
    client.listImages(),
    engineInfo ? client.info() : undefined,
  ]);
  return { version, containers, networks, volumes, images, info };
}

/** Starts the client's reads now (once); an error waits for takeHostReads, which throws it. */
export function startHostReads(client: HostClient, engineInfo: boolean): void {
  if (started.has(client)) return;
  const reads = readHost(client, engineInfo);
  reads.catch(() => undefined);
  started.set(client, { engineInfo, reads });
}

/** The reads startHostReads began for this client, taken once (when they ask for what this run needs); else new ones. */
export function takeHostReads(client: HostClient, engineInfo: boolean): Promise<HostReads> {
  const early = started.get(client);
  started.delete(client);
  if (early && (early.engineInfo || !engineInfo)) return early.reads;
  return readHost(client, engineInfo);
}
