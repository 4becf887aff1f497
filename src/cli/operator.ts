/**
 * What the operator's environment gives a run beyond the stack file: the Consul it uses (--consul >
 * CONSUL_HTTP_ADDR > the inventory's consul: > x-stack.consul, token only for the operator's addresses) and the
 * registry credentials (the inventory's registries:, then the Docker config file of DOCKER_CONFIG, else ~/.docker, and
 * its credential helpers, run with this environment). The CLI is the only place process.env is read; the pipeline
 * then gives the credentials only to hosts the operator chose.
 */
import os from 'node:os';
import type { Diagnostic } from '../errors.js';
import { consulWarnings, resolveConsulConfig, type ConsulConfig } from '../consul/config.js';
import { dockerCredentials, type CredentialSource } from '../docker/auth.js';
import { dockerConfigDir } from '../stack/docker-config.js';
import type { DesiredState } from '../stack/types.js';
import { operatorHosts } from '../stack/hosts.js';
import { registryOf } from '../docker/image-ref.js';

export interface OperatorContext {
  consul?: ConsulConfig;
  credentials: CredentialSource;
}

export function operatorContext(
  desired: DesiredState,
  consulFlag: string | undefined,
  env: Record<string, string | undefined> = process.env,
): OperatorContext {
  const consul = resolveConsulConfig(consulFlag, env, desired.settings);
  return {
    ...(consul ? { consul } : {}),
    credentials: dockerCredentials({
      configDir: dockerConfigDir(env, env.HOME || os.homedir()),
      ...(desired.registryAuth ? { inventory: desired.registryAuth } : {}),
      env,
    }),
  };
}

/**
 * What the operator should know before the run (printed once, with the loader's warnings): about the Consul it
 * uses, and registry credentials withheld from hosts the stack file chose.
 */
export function operatorWarnings(
  desired: DesiredState,
  consulFlag: string | undefined,
  env: Record<string, string | undefined> = process.env,
): Diagnostic[] {
  return [
    ...consulWarnings(resolveConsulConfig(consulFlag, env, desired.settings), env, desired.settings),
    ...withheldCredentials(desired, env),
  ];
}

/** Registries of the stack's images the operator has credentials for, which hosts from x-stack.hosts do not get. */
function withheldCredentials(desired: DesiredState, env: Record<string, string | undefined>): Diagnostic[] {
  if (operatorHosts(desired.hostsSource)) return [];
  const credentials = operatorContext(desired, undefined, env).credentials;
  const registries = [...new Set(Object.values(desired.services).map((s) => registryOf(s.image)))]
    .filter((r) => credentials.configured(r))
    .sort();
  return registries.map((r) => ({
    severity: 'warning',
    summary: `registry credentials for ${r} are not sent: the hosts come from the stack file (x-stack.hosts)`,
    hint: 'to pull with your credentials, name the hosts yourself: -i INVENTORY or DOCKER_HOST',
  }));
}
