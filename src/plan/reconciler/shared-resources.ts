/**
 * Shared resources a container needs on its host, created on demand, once per host (engine overlay networks
 * once for every host): image pulls, networks, named volumes and files volumes. Each returns the op to wait
 * for, or undefined when the resource is already there. Pure.
 */
import type { NetworkSpec, ServiceSpec } from '../../stack/types.js';
import type { ObservedHost } from '../../observe/types.js';
import { error } from '../../errors.js';
import { normaliseImageRef, splitImageRef } from '../../docker/image-ref.js';
import { helperName, type FileBundle } from '../config.js';
import {
  filesVolumeBody,
  FILES_HELPER_PATH,
  helperCreateBody,
  networkCreateBody,
  volumeCreateBody,
} from '../engine.js';
import type { Reconciler } from './context.js';
import { stopDeps } from '../drivers/stop.js';
import { removalsBefore, replacedHere } from './replaced-networks.js';

/**
 * The container is created by `ref`, so the host needs that very tag (the same content under another tag is
 * not enough: create would fail with "No such image") and, when the registry's digest is known, that content.
 */
function imagePresent(obs: ObservedHost, ref: string, digest: string | undefined): boolean {
  const { repo } = splitImageRef(ref);
  const short = ref.replace(/^docker\.io\/(library\/)?/, '');
  const byDigest = ref.includes('@');
  return obs.images.some(
    (i) =>
      (byDigest || i.repoTags.includes(ref) || i.repoTags.includes(short)) &&
      (!digest || i.repoDigests.includes(`${repo}@${digest}`)),
  );
}

export function ensurePull(r: Reconciler, host: string, s: ServiceSpec): string | undefined {
  const hs = r.hosts.get(host)!;
  const ref = normaliseImageRef(s.image);
  const pullKey = s.platform ? `${ref} ${s.platform}` : ref;
  if (hs.pulls.has(pullKey)) return hs.pulls.get(pullKey) ?? undefined;
  const digest = r.observed.digests[ref];
  const present = imagePresent(hs.obs, ref, digest);
  let id: string | null = null;
  if (s.pullPolicy === 'always' || (s.pullPolicy === 'missing' && !present)) {
    const why = present ? 'pull_policy always' : digest ? `not present (${digest.slice(0, 19)})` : 'not present';
    const label = s.platform ? `pull ${ref} for ${s.platform}` : `pull ${ref}`;
    id = r.b.add('image.pull', host, label, `image:${ref}`, why, [], {
      image: ref,
      ...(s.platform ? { platform: s.platform } : {}),
    });
    const cause = present ? 'pull_policy always' : 'not present on host';
    r.b.change({ host, type: 'image', resource: `image:${ref}`, name: ref, action: 'create', cause });
  } else if (!present) {
    r.diagnostics.push(
      error(`image ${ref} is not present on host ${host} and pull_policy is ${s.pullPolicy}`, {
        host,
        path: `services.${s.name}.image`,
      }),
    );
  }
  hs.pulls.set(pullKey, id);
  return id ?? undefined;
}

export function ensureNetwork(r: Reconciler, host: string, key: string): string | undefined {
  const n = r.desired.networks[key];
  if (!n || n.external) return undefined;
  if (r.network.realises(key)) return r.network.readyOn(host, key);
  if (n.driver === 'overlay') return ensureGlobalNetwork(r, host, key, n);
  const hs = r.hosts.get(host)!;
  if (hs.networks.has(key)) return hs.networks.get(key) ?? undefined;
  let id: string | null = null;
  const replaced = removalsBefore(r, n.name, host);
  if (replaced.length || !hs.obs.networks.some((o) => o.name === n.name)) {
    const why = replaced.length ? 'replacement (config changed)' : 'not present';
    const body = networkCreateBody(r.stack, n, r.observed.owner);
    id = r.b.add('network.create', host, `create network ${n.name}`, `network:${key}`, why, replaced, { body });
    if (!replacedHere(r, n.name, host, false))
      r.b.change({
        host,
        type: 'network',
        resource: `network:${key}`,
        name: n.name,
        action: 'create',
        cause: 'not present',
      });
  }
  hs.networks.set(key, id);
  return id ?? undefined;
}

/** Global scope (cluster store): created once, through one host chosen deterministically; every host sees it. */
function ensureGlobalNetwork(r: Reconciler, host: string, key: string, n: NetworkSpec): string | undefined {
  if (r.createdGlobal.has(n.name)) return r.createdGlobal.get(n.name) ?? undefined;
  const through = r.creator ?? host;
  const replaced = replacedHere(r, n.name, through, true);
  const exists = r.observedGlobal.has(n.name) && !replaced;
  let id: string | null = null;
  if (!exists) {
    id = r.b.add(
      'network.create',
      through,
      `create network ${n.name}`,
      `network:${key}`,
      replaced ? 'replacement (config changed)' : 'not present (overlay: created once, every host sees it)',
      removalsBefore(r, n.name, through),
      { body: networkCreateBody(r.stack, n, r.observed.owner) },
    );
    if (!replaced)
      r.b.change({
        host: through,
        type: 'network',
        resource: `network:${key}`,
        name: n.name,
        action: 'create',
        cause: `not present (overlay through ${through}, spans all hosts)`,
        allHosts: true,
      });
  }
  r.createdGlobal.set(n.name, id);
  return id ?? undefined;
}

export function ensureVolume(r: Reconciler, host: string, key: string): string | undefined {
  const v = r.desired.volumes[key];
  if (!v || v.external) return undefined;
  const hs = r.hosts.get(host)!;
  if (hs.volumes.has(key)) return hs.volumes.get(key) ?? undefined;
  let id: string | null = null;
  if (!hs.obs.volumes.some((o) => o.name === v.name)) {
    id = r.b.add('volume.create', host, `create volume ${v.name}`, `volume:${key}`, 'not present', [], {
      body: volumeCreateBody(r.stack, v, r.observed.owner),
    });
    r.b.change({
      host,
      type: 'volume',
      resource: `volume:${key}`,
      name: v.name,
      action: 'create',
      cause: 'not present',
    });
  }
  hs.volumes.set(key, id);
  return id ?? undefined;
}

/** A files volume: created, then filled by a helper container (a stale helper from an interrupted run goes first). */
export function ensureFiles(
  r: Reconciler,
  host: string,
  s: ServiceSpec,
  bundle: FileBundle,
  pull: string | undefined,
): string | undefined {
  const hs = r.hosts.get(host)!;
  if (hs.files.has(bundle.volume)) return hs.files.get(bundle.volume) ?? undefined;
  let id: string | null = null;
  if (!hs.obs.volumes.some((o) => o.name === bundle.volume)) {
    id = fillFilesVolume(r, host, s, bundle, pull);
    r.b.change({
      host,
      type: 'volume',
      resource: `files:${bundle.hash.slice(0, 12)}`,
      name: bundle.volume,
      action: 'create',
      cause: `secrets/configs for ${bundle.dir} (${bundle.files.map((f) => f.ref).join(', ')})`,
    });
  }
  hs.files.set(bundle.volume, id);
  return id ?? undefined;
}

function fillFilesVolume(r: Reconciler, host: string, s: ServiceSpec, bundle: FileBundle, pull: string | undefined) {
  const { b, stack } = r;
  const owner = r.observed.owner;
  const resource = `files:${bundle.hash.slice(0, 12)}`;
  const helper = helperName(bundle.volume);
  const removeHelper = () => ({ name: helper, force: true, volumes: false });
  const stale = r.hosts.get(host)!.obs.containers.find((c) => c.name === helper);
  const removeDeps = (deps: string[]) =>
    stopDeps(r.network, { kind: 'container.remove', host, name: helper, resource, deps });
  const staleRm = stale
    ? b.add(
        'container.remove',
        host,
        `remove ${helper}`,
        resource,
        'left over from an interrupted apply',
        removeDeps([]),
        removeHelper(),
      )
    : undefined;
  const vol = b.add('volume.create', host, `create volume ${bundle.volume}`, resource, `files for ${s.name}`, [], {
    body: filesVolumeBody(stack, bundle, owner),
  });
  const hc = b.add(
    'container.create',
    host,
    `create ${helper}`,
    resource,
    'helper to fill the files volume',
    [vol, pull, staleRm],
    { name: helper, body: helperCreateBody(stack, normaliseImageRef(s.image), bundle, owner) },
  );
  const put = b.add(
    'archive.put',
    host,
    `fill ${bundle.volume}`,
    resource,
    `${bundle.files.length} file(s) into ${bundle.dir}`,
    [hc],
    { container: helper, path: FILES_HELPER_PATH, files: bundle.files.map(({ contentHash: _h, ...f }) => f) },
  );
  return b.add(
    'container.remove',
    host,
    `remove ${helper}`,
    resource,
    'helper done',
    removeDeps([put]),
    removeHelper(),
  );
}
