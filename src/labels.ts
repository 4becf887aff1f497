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
  /** On the short-lived helper container of stack's own overlay: the stack it runs for (src/overlay/helper.ts). */
  overlayHelper: `${LABEL_PREFIX}.overlay-helper`,
} as const;

/** Filter for list calls: all objects of one stack. */
export function stackFilter(stack: string): { label: string[] } {
  return { label: [`${Labels.managed}=true`, `${Labels.stack}=${stack}`] };
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
