/**
 * What is left once containers are planned: a replaced network that no container uses any more is still
 * created again; networks and volumes no longer wanted are removed after every container removal on their
 * host (all hosts for a global network, which is removed once, through the first host that lists it). Pure.
 */
import { isGlobal } from '../../observe/networks.js';
import { warning } from '../../errors.js';
import type { HostState, Reconciler } from './context.js';
import { ensureNetwork } from './shared-resources.js';
import { collate } from '../../collate.js';

export function recreateUnusedReplacedNetworks(r: Reconciler): void {
  for (const { op } of [...r.networkRemovals.values()].flat()) {
    const name = r.b.nameOf(op)!;
    ensureNetwork(r, r.b.byId.get(op)!.host, r.wantedNets.get(name)!.spec.key);
  }
}

/** What every host's leftovers are checked against, computed once (not once per host: 100 hosts × 10,000 slots). */
interface Wanted {
  networkNames: Set<string>;
  volumeNames: Set<string>;
  /** host → the files volumes its placed containers use. */
  filesByHost: Map<string, Set<string>>;
}

export function removeLeftovers(r: Reconciler): void {
  const wanted = wantedResources(r);
  removeGlobalNetworks(r, wanted);
  for (const hs of r.hosts.values()) {
    removeLocalNetworks(r, hs, wanted);
    removeVolumes(r, hs, wanted);
    if (!r.options.pruneVolumes) warnKeptVolumes(r, hs, wanted);
  }
}

function wantedResources(r: Reconciler): Wanted {
  const filesByHost = new Map<string, Set<string>>();
  for (const [svc, slots] of Object.entries(r.placement)) {
    const bundles = r.configs.get(svc)?.bundles ?? [];
    if (!bundles.length) continue;
    for (const host of Object.values(slots)) {
      const files = filesByHost.get(host) ?? new Set<string>();
      for (const bundle of bundles) files.add(bundle.volume);
      filesByHost.set(host, files);
    }
  }
  return {
    networkNames: new Set(Object.values(r.desired.networks).map((d) => d.name)),
    volumeNames: new Set(Object.values(r.desired.volumes).map((d) => d.name)),
    filesByHost,
  };
}

function removeGlobalNetworks(r: Reconciler, wanted: Wanted): void {
  const allRemovals = [...r.hosts.values()].flatMap((h) => h.containerRemovals);
  for (const [name, { network: n, hosts: seenOn }] of r.observedGlobal) {
    if (wanted.networkNames.has(name) || !n.key || !r.hosts.has(seenOn[0])) continue;
    const cause = r.options.destroy ? 'destroy' : 'no longer in the file';
    r.b.add('network.remove', seenOn[0], `remove network ${name}`, `network:${n.key}`, cause, allRemovals, { name });
    r.b.change({
      host: seenOn[0],
      type: 'network',
      resource: `network:${n.key}`,
      name,
      action: 'delete',
      cause,
      allHosts: true,
    });
  }
}

function removeLocalNetworks(r: Reconciler, hs: HostState, wanted: Wanted): void {
  const host = hs.obs.name;
  const cause = r.options.destroy ? 'destroy' : 'no longer in the file';
  for (const n of [...hs.obs.networks].sort((x, y) => collate(x.name, y.name))) {
    if (isGlobal(n) || wanted.networkNames.has(n.name) || !n.key) continue;
    r.b.add('network.remove', host, `remove network ${n.name}`, `network:${n.key}`, cause, hs.containerRemovals, {
      name: n.name,
    });
    r.b.change({ host, type: 'network', resource: `network:${n.key}`, name: n.name, action: 'delete', cause });
  }
}

/** Files volumes no container placed here uses any more; named volumes no longer in the file, with --prune-volumes. */
function removeVolumes(r: Reconciler, hs: HostState, wanted: Wanted): void {
  const host = hs.obs.name;
  const { destroy, pruneVolumes } = r.options;
  const desiredVolumeNames = wanted.volumeNames;
  const neededFiles = wanted.filesByHost.get(host) ?? new Set<string>();
  for (const v of [...hs.obs.volumes].sort((x, y) => collate(x.name, y.name))) {
    let cause: string | undefined;
    if (v.contentHash && !neededFiles.has(v.name))
      cause = destroy ? 'destroy' : 'no container uses these files any more';
    else if (v.key && pruneVolumes && !desiredVolumeNames.has(v.name))
      cause = destroy ? 'destroy --prune-volumes' : 'no longer in the file (--prune-volumes)';
    if (!cause) continue;
    const resource = v.contentHash ? `files:${v.contentHash.slice(0, 12)}` : `volume:${v.key}`;
    r.b.add('volume.remove', host, `remove volume ${v.name}`, resource, cause, hs.containerRemovals, { name: v.name });
    r.b.change({ host, type: 'volume', resource, name: v.name, action: 'delete', cause });
  }
}

function warnKeptVolumes(r: Reconciler, hs: HostState, wanted: Wanted): void {
  const host = hs.obs.name;
  for (const v of hs.obs.volumes)
    if (v.key && !wanted.volumeNames.has(v.name))
      r.diagnostics.push(
        warning(
          `volume ${v.name} on ${host} is no longer ${r.options.destroy ? 'needed' : 'in the file'} and is kept`,
          { host },
          'pass --prune-volumes to remove it',
        ),
      );
}
