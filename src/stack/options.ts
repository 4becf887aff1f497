/** What loadStack needs: which files, where, which environment. Library code never reads process.env itself. */
import type { StackSchema } from './schema.js';

/** Files tried, in order, when no -f is given. */
export const DEFAULT_FILES = [
  'compose.yaml',
  'compose.yml',
  'docker-compose.yaml',
  'docker-compose.yml',
  'stack.yaml',
] as const;

/** Override files merged automatically over a default file found in the folder (as Compose does). */
export const DEFAULT_OVERRIDE_FILES = [
  'compose.override.yaml',
  'compose.override.yml',
  'docker-compose.override.yaml',
  'docker-compose.override.yml',
] as const;

/** How much one stack may ask for: replicas of one service, containers of the whole stack. */
export interface StackLimits {
  maxReplicas: number;
  maxContainers: number;
}

export const DEFAULT_LIMITS: StackLimits = { maxReplicas: 1000, maxContainers: 10_000 };

export interface LoadOptions {
  /** Stack files, merged in order (`-f`); relative to cwd. Empty or absent: the first of DEFAULT_FILES in cwd. */
  files?: string[];
  /** The folder relative paths on the command line resolve against. */
  cwd: string;
  /**
   * `--project-directory` (relative to cwd): the project folder — relative paths in the stack resolve against it,
   * its .env is read, and every file the stack names must be inside it. Default: the first file's folder.
   */
  projectDirectory?: string;
  /** Caps on what one stack may ask for (`--max-replicas`, `--max-containers`); defaults DEFAULT_LIMITS. */
  limits?: Partial<StackLimits>;
  /** `-p`: wins over STACK_NAME, the file's `name:` and the folder name. */
  projectName?: string;
  /** `-i FILE` (or STACK_INVENTORY): the inventory of hosts; wins over DOCKER_HOST and x-stack.hosts. */
  inventory?: string;
  /**
   * `--context NAME`: a docker context's one host; wins over DOCKER_HOST, which wins over DOCKER_CONTEXT (read from
   * `env`) and config.json's currentContext — the docker CLI's order. `-i` wins over all of them.
   */
  context?: string;
  /**
   * The docker CLI's configuration folder (DOCKER_CONFIG, else ~/.docker): its context store and config.json.
   * Default: from `env` (DOCKER_CONFIG, HOME).
   */
  dockerConfigDir?: string;
  /** `--allow-insecure-tcp`: a tcp:// DOCKER_HOST without TLS is accepted, with a warning (inventories say `tls: false`). */
  allowInsecureTcp?: boolean;
  /**
   * The sandbox's inventory (`.sandbox/inventory.yaml` of this checkout): the local default when no host is
   * configured (no -i, DOCKER_HOST or x-stack.hosts) and this machine has no Docker socket.
   */
  sandboxInventory?: string;
  /** The local Docker socket whose absence lets the sandbox be the default (default /var/run/docker.sock). */
  localSocketPath?: string;
  /** `--env-file`: replace the default `.env` of the stack's folder; later files win. */
  envFiles?: string[];
  /** `--profile`: services with profiles are enabled only when one is active (default: COMPOSE_PROFILES). */
  profiles?: string[];
  /** Variables for interpolation, DOCKER_HOST, STACK_NAME …; the CLI passes process.env. */
  env: Record<string, string | undefined>;
  /** `--overlay-helper-image`: the helper image of stack's own overlay (pinned by digest); wins over the inventory's. */
  overlayHelperImage?: string;
  /**
   * `false` for commands that create nothing from the file's services (destroy, status, history, unlock, and rollback,
   * which checks the revision it restores instead): the policy is read but the stack is not checked against it.
   */
  checkPolicy?: boolean;
  /** A compiled schema to reuse across loads (compiling takes ~100 ms); one is made and kept if absent. */
  schema?: StackSchema;
}
