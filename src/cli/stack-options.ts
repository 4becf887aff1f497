/**
 * The options every command that reads a stack file shares (-f, -p, -i, --env-file, --profile), and their
 * translation into the loader's LoadOptions. The CLI is the only place process.env is read.
 */
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { InvalidArgumentError, type Command } from 'commander';
import { DEFAULT_LIMITS, type LoadOptions } from '../stack/options.js';
import { dockerConfigDir } from '../stack/docker-config.js';

/** The parsed values of the shared options, as commander names them. */
export interface StackCliOptions {
  file?: string[];
  projectName?: string;
  inventory?: string;
  context?: string;
  envFile?: string[];
  profile?: string[];
  overlayHelperImage?: string;
  allowInsecureTcp?: boolean;
  projectDirectory?: string;
  maxReplicas?: string;
  maxContainers?: string;
}

function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

/** A positive whole number for a cap (--max-replicas, --max-containers). */
function positiveInteger(value: string): string {
  if (!/^[1-9][0-9]{0,8}$/.test(value)) throw new InvalidArgumentError('must be a whole number from 1 to 999999999');
  return value;
}

/**
 * Adds -f/--file (repeatable), -p/--project-name, --project-directory, -i/--inventory, --context, --env-file (repeatable),
 * --profile (repeatable), --max-replicas, --max-containers, --allow-insecure-tcp, --overlay-helper-image.
 */
export function addStackOptions(command: Command): Command {
  return command
    .option(
      '-f, --file <path>',
      'stack file; repeat to merge several, later files win (default: compose.yaml, compose.yml, docker-compose.yaml, docker-compose.yml or stack.yaml)',
      collect,
    )
    .option(
      '-p, --project-name <name>',
      'stack name (default: COMPOSE_PROJECT_NAME, then STACK_NAME, then name: in the file, then the folder name)',
    )
    .option(
      '--project-directory <path>',
      "the project folder: relative paths in the stack resolve against it, its .env is read, and every file the stack names must be inside it (default: the first file's folder)",
    )
    .option(
      '-i, --inventory <path>',
      "inventory of hosts (unix://, tcp://, ssh://, docker contexts), the operator's policy and registry credentials (YAML; default: STACK_INVENTORY); wins over --context, DOCKER_HOST, DOCKER_CONTEXT and x-stack.hosts",
    )
    .option(
      '--context <name>',
      'a docker context (docker context ls) as the one host; wins over DOCKER_HOST, which wins over DOCKER_CONTEXT and docker context use; -i wins over all (contexts live in DOCKER_CONFIG, default ~/.docker)',
    )
    .option(
      '--allow-insecure-tcp',
      'accept a tcp:// DOCKER_HOST without TLS (DOCKER_TLS_VERIFY unset), with a warning; inventories say tls: false per host',
    )
    .option(
      '--env-file <path>',
      "variables for interpolation instead of the stack folder's .env; repeatable, later files win",
      collect,
    )
    .option('--profile <name>', 'enable services of this profile; repeatable (default: COMPOSE_PROFILES)', collect)
    .option(
      '--overlay-helper-image <ref>',
      "helper image of stack's own overlay, pinned by digest (NAME@sha256:…); wins over the inventory's overlay.helper_image",
    )
    .option(
      '--max-replicas <n>',
      `most replicas one service may ask for (default ${DEFAULT_LIMITS.maxReplicas})`,
      positiveInteger,
    )
    .option(
      '--max-containers <n>',
      `most containers the whole stack may ask for (default ${DEFAULT_LIMITS.maxContainers})`,
      positiveInteger,
    );
}

/** The inventory `npm run sandbox -- up` writes in this checkout: the local default when there is no Docker socket. */
export const SANDBOX_INVENTORY = fileURLToPath(new URL('../../.sandbox/inventory.yaml', import.meta.url));

/** Turns parsed options into LoadOptions; `env` defaults to process.env (here, and only here). */
export function stackOptionsFrom(
  options: StackCliOptions,
  cwd: string = process.cwd(),
  env: Record<string, string | undefined> = process.env,
): LoadOptions {
  const load: LoadOptions = { cwd, env, files: options.file ?? [] };
  if (options.projectName !== undefined) load.projectName = options.projectName;
  const inventory = options.inventory ?? (env.STACK_INVENTORY || undefined);
  if (inventory !== undefined) load.inventory = inventory;
  if (options.context !== undefined) load.context = options.context;
  load.dockerConfigDir = dockerConfigDir(env, env.HOME || os.homedir());
  if (options.allowInsecureTcp) load.allowInsecureTcp = true;
  load.sandboxInventory = SANDBOX_INVENTORY;
  if (options.envFile?.length) load.envFiles = options.envFile;
  if (options.profile?.length) load.profiles = options.profile;
  if (options.overlayHelperImage !== undefined) load.overlayHelperImage = options.overlayHelperImage;
  if (options.projectDirectory !== undefined) load.projectDirectory = options.projectDirectory;
  if (options.maxReplicas !== undefined || options.maxContainers !== undefined) {
    load.limits = {
      ...(options.maxReplicas !== undefined ? { maxReplicas: Number(options.maxReplicas) } : {}),
      ...(options.maxContainers !== undefined ? { maxContainers: Number(options.maxContainers) } : {}),
    };
  }
  return load;
}
