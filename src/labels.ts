/** Every label stack writes on Docker objects, under one reverse-DNS prefix. Nothing else names them. */
export const LABEL_PREFIX = 'io.github.stack-deploy';

export const Labels = {
  /** Marks an object as managed by stack; objects without it are never touched. */
  managed: `${LABEL_PREFIX}.managed`,
  stack: `${LABEL_PREFIX}.stack`,
  service: `${LABEL_PREFIX}.service`,
  /** Replica slot number (1-based) within a replicated service, or the host name in global mode. */
  slot: `${LABEL_PREFIX}.slot`,
  configHash: `${LABEL_PREFIX}.config-hash`,
  network: `${LABEL_PREFIX}.network`,
  volume: `${LABEL_PREFIX}.volume`,
  /** Content hash of a secret or config volume. */
  contentHash: `${LABEL_PREFIX}.content-hash`,
  /** Role of a container during a replace: `temporary` (new, not yet renamed) or `kept` (old, stopped). */
  replaceRole: `${LABEL_PREFIX}.replace-role`,
  /** On the bridge network of stack's own (Consul-backed) overlay on a host: the network's VNI. */
  overlayVni: `${LABEL_PREFIX}.overlay-vni`,
  /** The identity of the stack that made the object (src/state/identity.ts); only objects with this run's identity are touched. */
  owner: `${LABEL_PREFIX}.owner`,
  /** Where the owning stack keeps its state (`Consul at http://…`, `local state in /…`), to name both owners in a refusal. */
  ownerState: `${LABEL_PREFIX}.owner-state`,
  /** On the short-lived helper container of stack's own overlay: the stack it runs for (src/overlay/helper.ts). */
  overlayHelper: `${LABEL_PREFIX}.overlay-helper`,
  /** On the short-lived probe container of `stack hosts check` (src/hosts/probe.ts): the run's nonce. */
  hostsCheck: `${LABEL_PREFIX}.hosts-check`,
} as const;

/**
 * A stack's identity: a random id made at its first apply and kept in its state store, written on every object
 * the stack creates. Two stacks of the same name (two state stores) have two identities.
 */
export interface StackOwner {
  id: string;
  /** The state store that holds the identity, as StateStore.where says it. */
  state: string;
  /** Not stored yet: a plan before the stack's first apply (the apply makes the identity it then keeps). */
  new?: boolean;
}

/** The labels that say which stack identity made an object. */
export function ownerLabels(owner: StackOwner | undefined): Record<string, string> {
  return owner ? { [Labels.owner]: owner.id, [Labels.ownerState]: owner.state } : {};
}

/** Filter for list calls: all objects of one stack (of one identity, when given: only those are its own). */
export function stackFilter(stack: string, owner?: StackOwner): { label: string[] } {
  return {
    label: [`${Labels.managed}=true`, `${Labels.stack}=${stack}`, ...(owner ? [`${Labels.owner}=${owner.id}`] : [])],
  };
}

/** Labels on containers (and stack's networks) beyond the common ones: the normalised config the hash was computed from. */
export const ContainerLabels = {
  /** Compact canonical JSON of the hashed config, so a changed hash can name the fields that changed. */
  config: `${LABEL_PREFIX}.config`,
} as const;

/** Values of Labels.replaceRole. */
export const Roles = {
  /** A new container created under a temporary name during a replace. */
  temporary: 'temporary',
  /** A short-lived container that only exists to fill a files volume through the archive API. */
  helper: 'helper',
  /**
   * The previous container of a replica during a rolling update: stopped and renamed `<name>_kept`, removed
   * once the service's rollout completes, restarted by a rollback. Docker cannot relabel a container, so
   * observe derives this role from the name.
   */
  kept: 'kept',
} as const;
