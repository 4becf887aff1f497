/**
 * The registry digest of each image a service pulls, resolved once per run through one daemon (the registry may be
 * reachable from the hosts only): the first host whose ping answers is asked, the others only if it fails.
 */
import type { DesiredState } from '../stack/types.js';
import type { HostClient } from '../docker/client.js';
import type { AuthConfig, CredentialSource } from '../docker/auth.js';
import { normaliseImageRef, registryOf, splitImageRef } from '../docker/image-ref.js';
import type { ObservedState } from './types.js';

export type Digests = Pick<ObservedState, 'digests' | 'digestErrors'>;

/**
 * The daemons a digest may be asked of: the first with the API version of the last apply (asked at once, beside its
 * ping), else the first whose ping answers; then the others in the inventory's order; none when no ping answers.
 */
async function digestAskers(clients: HostClient[]): Promise<HostClient[]> {
  const hinted = clients.find((c) => c.hinted);
  if (hinted) return [hinted, ...clients.filter((c) => c !== hinted)];
  try {
    const first = await Promise.any(clients.map((client) => client.negotiate().then(() => client)));
    return [first, ...clients.filter((c) => c !== first)];
  } catch {
    return [];
  }
}

/**
 * The registry digest of every image a service pulls (`missing`, `always`); asked of the first host that answers
 * its ping, as soon as it has (not after every host's), the next ones only if it fails.
 */
export async function resolveDigests(
  desired: DesiredState,
  clients: HostClient[],
  credentials: CredentialSource | undefined,
): Promise<Digests> {
  const found: Digests = { digests: {}, digestErrors: {} };
  const refs = [
    ...new Set(
      Object.values(desired.services)
        .filter((s) => s.pullPolicy === 'missing' || s.pullPolicy === 'always')
        .map((s) => normaliseImageRef(s.image)),
    ),
  ].sort();
  if (!refs.length) return found;
  const askers = digestAskers(clients);
  await Promise.all(refs.map((ref) => resolveDigest(found, ref, askers, credentials)));
  return found;
}

/** What a registry answers when it wants credentials (through the daemon's distribution call). */
const WANTS_CREDENTIALS = /unauthorized|denied|authentication required|no basic auth credentials/i;

/**
 * One image's registry digest into `state` (or its error into digestErrors). Credentials that cost nothing to read
 * (the inventory's, config.json's auths) go with the first question; a credential helper is run only when the
 * registry refuses the question without credentials, so a run whose registries answer anyone runs no helper. A
 * helper's failure throws (CredentialHelperError): the run stops before any write.
 */
async function resolveDigest(
  state: Digests,
  ref: string,
  resolvers: Promise<HostClient[]>,
  credentials: CredentialSource | undefined,
): Promise<void> {
  const pinned = splitImageRef(ref).digest;
  if (pinned) return void (state.digests[ref] = pinned);
  const registry = registryOf(ref);
  const lazy = credentials?.needsHelper(registry) ?? false;
  const failed = await askDigest(state, ref, resolvers, lazy ? undefined : await credentials?.get(registry));
  if (lazy && failed && WANTS_CREDENTIALS.test(failed))
    await askDigest(state, ref, resolvers, await credentials!.get(registry));
}

/** Whether a host's API version is known (its ping answered): only then can a digest be asked of it. */
const reachable = (client: HostClient): Promise<boolean> =>
  client.negotiate().then(
    () => true,
    () => false,
  );

/** Asks each reachable daemon in turn until one answers; the last error, or undefined when answered (or none could be asked). */
async function askDigest(
  state: Digests,
  ref: string,
  resolvers: Promise<HostClient[]>,
  auth: AuthConfig | undefined,
): Promise<string | undefined> {
  // One daemon answers for all; should it fail for an image (its registry call can fail on that daemon
  // alone, e.g. dockerd 20.10's stuck overlay thread), the next reachable host is asked.
  for (const client of await resolvers) {
    const answer = client.early(() => client.distribution(ref, auth));
    answer.catch(() => undefined); // awaited below; a host whose ping failed is skipped
    if (!(await reachable(client))) continue;
    try {
      state.digests[ref] = await answer;
      delete state.digestErrors[ref];
      return undefined;
    } catch (err) {
      state.digestErrors[ref] = err instanceof Error ? err.message : String(err);
      if (/no such image|not found|manifest unknown/i.test(state.digestErrors[ref])) break;
      if (WANTS_CREDENTIALS.test(state.digestErrors[ref])) break;
    }
  }
  return state.digestErrors[ref];
}
