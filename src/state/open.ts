/** Which state store a run uses: Consul when one is configured (--consul > env > inventory), else the local directory. */
import { ConsulClient } from '../consul/client.js';
import { resolveConsulConfig, type ConsulConfig } from '../consul/config.js';
import { ConsulStateStore } from './consul-store.js';
import type { DesiredState } from '../stack/types.js';
import { existsSync } from 'node:fs';
import os from 'node:os';
import { LocalStateStore, localStateRoot } from './local-store.js';
import type { StateStore } from './types.js';
import type { StateWarn } from './private-files.js';

export interface OpenedStore {
  store: StateStore;
  /** Present when the store is Consul: the catalog uses the same client. */
  consul?: ConsulClient;
  config?: ConsulConfig;
}

export function openStateStore(
  desired: Pick<DesiredState, 'settings'>,
  flag: string | undefined,
  env: Record<string, string | undefined>,
  warn?: StateWarn,
): OpenedStore {
  const config = resolveConsulConfig(flag, env, desired.settings);
  if (!config) {
    if (!env.STACK_STATE_DIR && !env.XDG_STATE_HOME && !existsSync(os.homedir()))
      throw new Error(
        `no Consul is configured and the home directory ${os.homedir()} for the local state directory does not exist`,
      );
    return { store: new LocalStateStore(localStateRoot(env), warn) };
  }
  let consul: ConsulClient;
  try {
    consul = new ConsulClient(config);
  } catch (err) {
    throw new Error(`cannot set up the Consul client: ${err instanceof Error ? err.message : String(err)}`, {
      cause: err,
    });
  }
  return { store: new ConsulStateStore(consul), consul, config };
}
