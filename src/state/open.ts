/** Which state store a run uses: Consul when one is configured (--consul > env > inventory), else the local directory. */
import { ConsulClient } from '../consul/client.js';
import { resolveConsulConfig, type ConsulConfig } from '../consul/config.js';
import { ConsulStateStore } from '../consul/state-store.js';
import type { DesiredState } from '../stack/types.js';
import { LocalStateStore, localStateRoot } from './local-store.js';
import type { StateStore } from './types.js';

export interface OpenedStore {
  store: StateStore;
  /** Present when the store is Consul: the catalog uses the same client. */
  consul?: ConsulClient;
  config?: ConsulConfig;
}

export function openStateStore(desired: Pick<DesiredState, 'settings'>, flag: string | undefined, env: Record<string, string | undefined>): OpenedStore {
  const config = resolveConsulConfig(flag, env, desired.settings.consul);
  if (!config) return { store: new LocalStateStore(localStateRoot(env)) };
  const consul = new ConsulClient(config);
  return { store: new ConsulStateStore(consul), consul, config };
}
