/**
 * The one host of a docker context the operator named for the run, in the docker CLI's order: `--context` >
 * DOCKER_HOST > DOCKER_CONTEXT > config.json's currentContext (the inventory, -i, wins over all of them). The
 * context `default` means DOCKER_HOST, else the local socket. Reads the operator's context store and config.json
 * (LoadOptions.dockerConfigDir, else DOCKER_CONFIG / HOME from LoadOptions.env); never the stack file's.
 */
import os from 'node:os';
import type { HostSpec, HostsSource } from './types.js';
import type { LoadOptions } from './options.js';
import type { Problems } from './problems.js';
import { dockerConfigDir, readDockerConfig } from './docker-config.js';
import { DEFAULT_CONTEXT } from './docker-context.js';
import { hostFromContext, hostFromDockerEnv, localHost, type ChosenContext } from './hosts.js';

/** What choosing a context needs of the load's options (the inventory's `builder: local` passes these alone). */
export type ContextOptions = Pick<LoadOptions, 'context' | 'env' | 'dockerConfigDir' | 'allowInsecureTcp'>;

export interface ContextHosts {
  hosts: HostSpec[];
  hostsSource: HostsSource;
  /** For messages: `the docker context NAME (--context)`, or `DOCKER_HOST`. */
  chosenBy: string;
}

/** The folder of the operator's docker CLI configuration for this load. */
export function configDirOf(options: ContextOptions): string {
  return options.dockerConfigDir ?? dockerConfigDir(options.env, options.env.HOME || os.homedir());
}

/** The hosts of --context, DOCKER_HOST, DOCKER_CONTEXT or currentContext; undefined when none is set. */
export function contextOrDockerHost(options: ContextOptions, problems: Problems): ContextHosts | undefined {
  const policy = { allowInsecureTcp: options.allowInsecureTcp };
  if (options.context) return fromContext({ name: options.context, from: '--context' }, options, problems);
  if (options.env.DOCKER_HOST) {
    const fromEnv = hostFromDockerEnv(options.env, problems, policy);
    return { hosts: fromEnv ? [fromEnv] : [], hostsSource: 'DOCKER_HOST', chosenBy: 'DOCKER_HOST' };
  }
  const chosen = chosenContext(options, problems);
  return chosen ? fromContext(chosen, options, problems) : undefined;
}

/** DOCKER_CONTEXT, else config.json's currentContext; `default` in either is no choice (the usual fallback). */
function chosenContext(options: ContextOptions, problems: Problems): ChosenContext | undefined {
  const fromEnv = options.env.DOCKER_CONTEXT;
  if (fromEnv) return fromEnv === DEFAULT_CONTEXT ? undefined : { name: fromEnv, from: 'DOCKER_CONTEXT' };
  const read = readDockerConfig(configDirOf(options));
  if (!read.ok) {
    problems.add({ severity: 'error', summary: read.error, hint: read.hint });
    return undefined;
  }
  const current = read.config.currentContext;
  return current && current !== DEFAULT_CONTEXT
    ? { name: current, from: `currentContext in ${read.config.file}` }
    : undefined;
}

function fromContext(chosen: ChosenContext, options: ContextOptions, problems: Problems): ContextHosts {
  const chosenBy = `the docker context ${chosen.name} (${chosen.from})`;
  if (chosen.name === DEFAULT_CONTEXT) {
    const fromEnv = options.env.DOCKER_HOST
      ? hostFromDockerEnv(options.env, problems, { allowInsecureTcp: options.allowInsecureTcp })
      : localHost();
    return {
      hosts: fromEnv ? [fromEnv] : [],
      hostsSource: options.env.DOCKER_HOST ? 'DOCKER_HOST' : 'local-socket',
      chosenBy,
    };
  }
  const host = hostFromContext(chosen, configDirOf(options), options.env, problems, {
    allowInsecureTcp: options.allowInsecureTcp,
  });
  return { hosts: host ? [host] : [], hostsSource: 'context', chosenBy };
}
