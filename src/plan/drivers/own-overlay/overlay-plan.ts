/**
 * What stack's own overlay decided while planning its networks (src/plan/drivers/own-overlay/networks.ts), as the
 * reconciler and the driver's finish (finish.ts) read it, and the small pieces both use.
 */
import type { DesiredState, NetworkSpec } from '../../../stack/types.js';
import type { ObservedState } from '../../../observe/types.js';
import type { Diagnostic } from '../../../errors.js';
import type { NetworkState, OverlayKvState } from '../../../overlay/state.js';
import type { Builder } from '../../builder.js';
import { Labels } from '../../../labels.js';
import { helperImagePresent } from '../../../overlay/helper-image.js';
import { parseVni } from '../../../overlay/values.js';
import type { OverlayChoice, OverlayObserved } from '../../../overlay/types.js';

/** The reconciler's plan builder, as the overlay's planning uses it. */
export type OverlayBuilder = Pick<Builder, 'ops' | 'byId' | 'compensations' | 'add' | 'reserve' | 'change'>;

export interface OverlayPlan {
  choices: OverlayChoice[];
  /** Is this network key realised by stack's own overlay? */
  isConsul(key: string): boolean;
  /** The op after which the network is usable on the host (undefined: already is). */
  ready(host: string, key: string): string | undefined;
  /** Network name on the daemons → key, for every Consul-backed network of the stack (wanted or not). */
  names: Map<string, string>;
  underlays: Record<string, string>;
  /** The DNS servers of containers on the overlay (Consul's; none: the daemon's default). */
  dns: string[];
  helperImage?: string;
  helperPulls: Map<string, string | undefined>;
  /** Names on the daemons of the Consul-backed networks the file wants. */
  wanted: Set<string>;
  /** The aliases a new container's endpoint was written with (`host container network`), kept out of its body. */
  aliases: Map<string, string[]>;
}

/** What planning one network reads, shared by its steps. */
export interface NetworkContext {
  desired: DesiredState;
  observed: ObservedState;
  usable: string[];
  /** The usable hosts with an underlay address: the hosts the network spans. */
  hostsOn: string[];
  ov: OverlayObserved;
  kv: OverlayKvState;
  b: OverlayBuilder;
  plan: OverlayPlan;
  diagnostics: Diagnostic[];
  /** `host key` → the op after which the network is usable there. */
  ready: Map<string, string | undefined>;
}

/** One Consul-backed network being planned: its spec, its state in Consul and its allocate op (if any). */
export interface NetworkPart {
  n: NetworkSpec;
  st?: NetworkState;
  allocOp?: string;
}

/** A plan that realises nothing: no network is Consul-backed, none is ready by an op. */
export function emptyOverlayPlan(): OverlayPlan {
  return {
    choices: [],
    isConsul: () => false,
    ready: () => undefined,
    names: new Map(),
    underlays: {},
    dns: [],
    helperPulls: new Map(),
    wanted: new Set(),
    aliases: new Map(),
  };
}

/** The VNI label on a host's network is host data: the problem with one that is no VNI, else undefined. */
export function vniProblem(label: string, where: string): string | undefined {
  try {
    parseVni(label, where);
    return undefined;
  } catch (err) {
    return (err as Error).message;
  }
}

/** Networks on the hosts whose VNI label is no VNI: reported by planOverlayNetworks, left alone by finishOverlay. */
export function badVniLabels(
  observed: ObservedState,
  usable: string[],
): { host: string; network: string; message: string }[] {
  const out: { host: string; network: string; message: string }[] = [];
  for (const host of usable)
    for (const n of observed.hosts[host].networks) {
      const label = n.labels[Labels.overlayVni];
      const message =
        label === undefined
          ? undefined
          : vniProblem(label, `host ${host}: network ${n.name}'s label ${Labels.overlayVni}`);
      if (message) out.push({ host, network: n.name, message });
    }
  return out;
}

/** The helper image's pull on a host, added once per host (undefined when the image is there). */
export function helperPull(
  plan: OverlayPlan,
  observed: ObservedState,
  b: OverlayBuilder,
  host: string,
): string | undefined {
  const image = plan.helperImage!;
  if (plan.helperPulls.has(host)) return plan.helperPulls.get(host);
  const present = helperImagePresent(observed.hosts[host].images, image);
  const id = present
    ? undefined
    : b.add('image.pull', host, `pull ${image}`, `image:${image}`, 'overlay helper image not present', [], { image });
  plan.helperPulls.set(host, id);
  return id;
}
