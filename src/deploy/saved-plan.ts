/**
 * Saved plans (issue 17, `stack plan -o FILE` then `stack apply FILE`): what a plan was made from, and the check that
 * it is still what apply would do. Pure.
 *
 * A saved plan records, besides the plan itself (as `plan --json` prints it: sensitive values masked):
 * - the stack's inputs as keyed HMACs per section (each service, networks, volumes, configs, secrets, hosts, settings,
 *   policy) under the stack's hash key, and the normalised stack as a revision keeps it (secrets only as HMACs);
 * - a fingerprint per host of its observed state (everything the planner reads of it), of the image digests and of
 *   stack's own overlay state;
 * - the stack's latest revision and the state store it was read from.
 *
 * The apply of a saved plan loads the stack again from the operator's sources (the file never says where hosts or
 * credentials are), takes the lock, observes, plans, and compares: any difference refuses the run before any write.
 * Only a plan equal to the saved one is applied, so what runs is exactly what was reviewed.
 */
import { createHash } from 'node:crypto';
import type { DesiredState } from '../stack/types.js';
import type { ObservedHost, ObservedState } from '../observe/types.js';
import { normaliseImageRef, splitImageRef } from '../docker/image-ref.js';
import type { Plan } from '../plan/types.js';
import { planJson } from '../plan/text.js';
import { canonicalJson, storeDesired } from '../state/revision.js';
import type { RevisionSummary, StoredDesired } from '../state/types.js';
import type { HashKey } from '../sensitive.js';
import { collate } from '../collate.js';

export const SAVED_PLAN_FORMAT = 'stack-saved-plan';
export const SAVED_PLAN_VERSION = 1;

/** The revision a plan was made against: none before the first apply. */
export interface SavedRevision {
  number: number;
  hash: string;
}

export interface SavedPlan {
  format: typeof SAVED_PLAN_FORMAT;
  version: typeof SAVED_PLAN_VERSION;
  stack: string;
  /** ISO time the plan was made (for people; never compared). */
  created: string;
  /** `Consul at …` or `local state in …`: the store the revision and the hash key came from. */
  store: string;
  revision: SavedRevision | null;
  /** Made with `plan --refresh` (every container inspected): its apply observes the same way. */
  refresh: boolean;
  /** Section (`services.web`, `hosts`, …) → keyed HMAC of it. */
  inputs: Record<string, string>;
  /** Host → sha256 of its observed state; `digests` and `overlay` for the registry's answers and the overlay state. */
  observed: Record<string, string>;
  /** sha256 of the plan's canonical JSON. */
  planHash: string;
  /** The normalised stack, secrets and sensitive values as keyed HMACs (what a revision keeps). */
  desired: StoredDesired;
  /** The plan as `plan --json` prints it. */
  plan: Record<string, unknown>;
}

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

/** The stack's inputs, one keyed HMAC per section, so that a refusal can name what changed. */
export function inputSections(desired: DesiredState, key: HashKey): Record<string, string> {
  const stored = storeDesired(desired, key);
  const sections: Record<string, unknown> = {
    name: stored.name,
    working_dir: stored.workingDir,
    networks: stored.networks,
    volumes: stored.volumes,
    configs: stored.configs,
    secrets: stored.secrets,
    hosts: desired.hosts,
    settings: desired.settings,
    policy: desired.policy ?? null,
  };
  for (const [name, service] of Object.entries(stored.services)) sections[`services.${name}`] = service;
  return Object.fromEntries(Object.entries(sections).map(([k, v]) => [k, key.hmac(canonicalJson(v))]));
}

/** What the stack looks for on a host besides its own objects: its name's prefix, image repositories, host ports. */
interface Interests {
  stack: string;
  repos: string[];
  /** The image references the services name, normalised (`10.77.0.2:5000/busybox:1.35`, `repo@sha256:…`). */
  refs: Set<string>;
  ports: Set<number>;
}

function interestsOf(desired: DesiredState): Interests {
  const repos = new Set<string>();
  const refs = new Set<string>();
  const ports = new Set<number>();
  for (const s of Object.values(desired.services)) {
    const ref = normaliseImageRef(s.image);
    const { repo } = splitImageRef(ref);
    refs.add(ref).add(ref.replace(/^docker\.io\/(library\/)?/, ''));
    repos.add(repo).add(repo.replace(/^docker\.io\/(library\/)?/, ''));
    for (const p of s.ports) {
      const [from, to = from] = (p.published ?? '').split('-').map(Number);
      for (let n = from; Number.isInteger(n) && n <= to && n - from < 1024; n++) ports.add(n);
    }
  }
  return { stack: desired.name, repos: [...repos], refs, ports };
}

/**
 * The part of a host's observed state a plan of this stack reads: all of its own objects, the Engine's version and
 * cluster store, and of everything else only what bears on the stack — objects named with the stack's name, the
 * images its services name (by their tag or digest: other tags of the same repository, which tests and other stacks
 * push and pull all the time, are left out), containers publishing its host ports. Other stacks coming and going on the host do not make
 * a saved plan stale; a change elsewhere that does alter the plan (a network whose subnet now overlaps, say) is
 * caught by comparing the plans themselves.
 */
function relevant(host: ObservedHost, i: Interests): unknown {
  const named = <T extends { name: string }>(list: T[] | undefined) =>
    (list ?? []).filter((o) => o.name.startsWith(i.stack));
  const publishing = (host.foreignContainers ?? []).filter(
    (c) => !c.name.startsWith(i.stack) && (c.ports ?? []).some((p) => i.ports.has(p.port)),
  );
  return {
    error: host.error ?? null,
    version: host.version ?? null,
    engine: host.engine ?? null,
    overlayShown: host.overlayShown ?? null,
    containers: host.containers,
    networks: host.networks,
    volumes: host.volumes,
    foreignContainers: [...named(host.foreignContainers), ...publishing],
    foreignNetworks: named(host.foreignNetworks),
    foreignVolumes: named(host.foreignVolumes),
    images: namedImages(host, i),
  };
}

/** The images a service names, each with only the stack's own references, in a stable order. */
function namedImages(host: ObservedHost, i: Interests): unknown[] {
  const ofRepo = (ref: string) => i.repos.some((r) => ref.startsWith(`${r}@`));
  return host.images
    .filter((im) => [...im.repoTags, ...im.repoDigests].some((ref) => i.refs.has(ref)))
    .map((im) => ({
      id: im.id,
      tags: im.repoTags.filter((t) => i.refs.has(t)).sort(),
      digests: im.repoDigests.filter(ofRepo).sort(),
    }))
    .sort((a, b) => collate(a.id, b.id));
}

/** Per host, the sha256 of what the plan reads of it; `digests`: the registry's digests; `overlay`: stack's own overlay. */
export function observedFingerprints(desired: DesiredState, observed: ObservedState): Record<string, string> {
  const interests = interestsOf(desired);
  const prints: Record<string, string> = {};
  for (const [name, host] of Object.entries(observed.hosts))
    prints[`host ${name}`] = sha256(canonicalJson(relevant(host, interests)));
  prints.digests = sha256(canonicalJson({ digests: observed.digests, errors: observed.digestErrors }));
  prints.overlay = sha256(canonicalJson(observed.overlay ?? null));
  return prints;
}

export function planHash(plan: Plan): string {
  return sha256(canonicalJson(planJson(plan)));
}

export function savedRevision(latest: RevisionSummary | undefined): SavedRevision | null {
  return latest ? { number: latest.number, hash: latest.hash } : null;
}

export interface SavedPlanInput {
  desired: DesiredState;
  observed: ObservedState;
  plan: Plan;
  hashKey: HashKey;
  latest: RevisionSummary | undefined;
  store: string;
  now: Date;
}

export function buildSavedPlan(input: SavedPlanInput): SavedPlan {
  return {
    format: SAVED_PLAN_FORMAT,
    version: SAVED_PLAN_VERSION,
    stack: input.desired.name,
    created: input.now.toISOString(),
    store: input.store,
    revision: savedRevision(input.latest),
    refresh: input.observed.refreshed,
    inputs: inputSections(input.desired, input.hashKey),
    observed: observedFingerprints(input.desired, input.observed),
    planHash: planHash(input.plan),
    desired: storeDesired(input.desired, input.hashKey),
    plan: planJson(input.plan),
  };
}

/** Keys whose values differ between two records (present in one only counts), sorted. */
function differing(saved: Record<string, string>, now: Record<string, string>): string[] {
  const keys = new Set([...Object.keys(saved), ...Object.keys(now)]);
  return [...keys].filter((k) => saved[k] !== now[k]).sort();
}

function describeRevision(r: SavedRevision | null): string {
  return r ? `revision ${r.number}` : 'no revision';
}

/** Why `saved` is not what apply would do now (`now` made the same way, under the lock); empty when it is. */
export function staleReasons(
  saved: SavedPlan,
  now: Omit<SavedPlan, 'created' | 'desired' | 'plan' | 'refresh'>,
): string[] {
  const reasons: string[] = [];
  if (saved.stack !== now.stack)
    reasons.push(`the plan is for stack ${saved.stack}, the files load stack ${now.stack}`);
  if (saved.store !== now.store) reasons.push(`the plan was made against ${saved.store}, this run uses ${now.store}`);
  const inputs = differing(saved.inputs, now.inputs);
  if (inputs.length) reasons.push(`the stack changed (file, environment or inventory): ${inputs.join(', ')}`);
  if (canonicalJson(saved.revision) !== canonicalJson(now.revision))
    reasons.push(
      `the stack's latest revision is ${describeRevision(now.revision)}, the plan was made against ${describeRevision(saved.revision)}`,
    );
  const observed = differing(saved.observed, now.observed);
  if (observed.length) reasons.push(`the observed state changed: ${observed.join(', ')}`);
  if (!reasons.length && saved.planHash !== now.planHash) reasons.push('the plan made now differs from the saved one');
  return reasons;
}
